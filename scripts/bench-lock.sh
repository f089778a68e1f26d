#!/usr/bin/env bash
# pyaudit lock benchmarks, all on 127.0.0.1 (no live service):
#   1. warm cache: `pyaudit lock` on a generated 300-package uv.lock whose answers are cached
#      (target < 50 ms end to end);
#   2. `pyaudit db import` of the full PyPA database (target < 2 s);
#   3. cold runs side by side with `uv audit` and pip-audit: ../shared/bench/compare.sh.
# Needs python3 with pip reaching PyPI (compare.sh makes its venv) and hyperfine
# (`apt-get install -y hyperfine`). Usage: scripts/bench-lock.sh [--no-compare]
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="$(cd ../shared && pwd)"
VENV="${BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pyaudit-bench/venv}"
command -v hyperfine >/dev/null || { echo "hyperfine missing: apt-get install -y hyperfine" >&2; exit 2; }
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q uv pip-audit packaging pyyaml
fi
cargo build --release --quiet
BIN="$PWD/target/release/pyaudit"
WORK="$(mktemp -d)"
PORT="${PORT:-18790}"
"$VENV/bin/python" "$SHARED/bench/osv_server.py" --port "$PORT" 2>"$WORK/server.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
# The server parses 2,661 YAML records first: allow it a minute on a busy machine.
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/stats" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/stats" >/dev/null || { echo "the OSV server did not start: $WORK/server.log" >&2; exit 2; }
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost

echo "== warm cache, 300-package uv.lock (target < 50 ms)"
python3 "$SHARED/bench/gen_lock.py" "$WORK/lock300" 300 --index "http://127.0.0.1:$PORT/simple" >/dev/null
"$BIN" lock --quiet --cache-dir "$WORK/cache" --osv-url "http://127.0.0.1:$PORT" --format json "$WORK/lock300/uv.lock" >/dev/null || true
before=$(curl -sf "http://127.0.0.1:$PORT/stats")
hyperfine -N --warmup 3 --runs 30 \
  "$BIN lock --quiet --cache-dir $WORK/cache --osv-url http://127.0.0.1:$PORT --format json $WORK/lock300/uv.lock" \
  -i --export-json "$WORK/warm.json" | grep -E "Time|Range" || true
python3 -c "import json,statistics as s; t=json.load(open('$WORK/warm.json'))['results'][0]['times']; print(f'  median {s.median(t)*1e3:.1f} ms, min {min(t)*1e3:.1f} ms')"
after=$(curl -sf "http://127.0.0.1:$PORT/stats")
echo "server requests before warm runs: $before"
echo "server requests after warm runs:  $after (unchanged = served from the cache)"

echo "== db import of the PyPA database (target < 2 s)"
hyperfine -N --warmup 1 --runs 5 --prepare "rm -rf $WORK/import-cache" \
  "$BIN db import --quiet --cache-dir $WORK/import-cache $SHARED/advisories/pypa" | grep -E "Time|Range" || true

if [ "${1:-}" != "--no-compare" ]; then
  echo "== cold, side by side (compare.sh)"
  BENCH_VENV="$VENV" PYAUDIT_BIN="$BIN" "$SHARED/bench/compare.sh" "$PWD/scripts/compare-shim.sh"
fi
