#!/usr/bin/env bash
# pyaudit lock benchmarks, all on 127.0.0.1 (no live service):
#   1. warm cache: `pyaudit lock` on a generated 300-package uv.lock whose answers are cached,
#      vulnerabilities only (target < 50 ms), then every rule on — PyPI metadata from a loopback
#      PyPI (scripts/pypi-bench-server.py), a license policy, an index allow list, bans — in every
#      format (target < 60 ms each);
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

PYPI_PORT="${PYPI_PORT:-18791}"
python3 "$SHARED/bench/gen_lock.py" "$WORK/lock300" 300 --index "http://127.0.0.1:$PORT/simple" >/dev/null
python3 scripts/pypi-bench-server.py --port "$PYPI_PORT" --lock "$WORK/lock300/uv.lock" 2>"$WORK/pypi.log" &
PYPI_PID=$!
trap 'kill $SERVER_PID $PYPI_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PYPI_PORT/stats" >/dev/null && break; sleep 0.1; done
PYPI="http://127.0.0.1:$PYPI_PORT"
# Vulnerabilities only: the rules that read PyPI metadata are off, nothing is fetched from PyPI.
VULN_ONLY="--allow PA2 --allow PA3 --allow PA004"

echo "== warm cache, 300-package uv.lock, vulnerabilities only (target < 50 ms)"
"$BIN" lock --quiet --cache-dir "$WORK/cache" --osv-url "http://127.0.0.1:$PORT" --pypi-url "$PYPI" $VULN_ONLY --format json "$WORK/lock300/uv.lock" >/dev/null || true
before=$(curl -sf "http://127.0.0.1:$PORT/stats")
hyperfine -N --warmup 3 --runs 30 \
  "$BIN lock --quiet --cache-dir $WORK/cache --osv-url http://127.0.0.1:$PORT --pypi-url $PYPI $VULN_ONLY --format json $WORK/lock300/uv.lock" \
  -i --export-json "$WORK/warm.json" | grep -E "Time|Range" || true
python3 -c "import json,statistics as s; t=json.load(open('$WORK/warm.json'))['results'][0]['times']; print(f'  median {s.median(t)*1e3:.1f} ms, min {min(t)*1e3:.1f} ms')"
after=$(curl -sf "http://127.0.0.1:$PORT/stats")
echo "server requests before warm runs: $before"
echo "server requests after warm runs:  $after (unchanged = served from the cache)"

echo "== warm cache, 300-package uv.lock, every rule on, every format (target < 60 ms each)"
cat > "$WORK/lock300/pyaudit.toml" <<TOML
[licenses]
allow = ["MIT", "Apache-2.0", "BSD-3-Clause", "BSD-2-Clause", "ISC", "PSF-2.0", "MPL-2.0"]
[sources]
allowed-indexes = ["http://127.0.0.1:$PORT/simple"]
require-hashes = true
[[bans]]
package = "pycrypto"
reason = "unmaintained"
[rules]
PA206 = "warn"
TOML
ALL="$BIN lock --quiet --cache-dir $WORK/cache --osv-url http://127.0.0.1:$PORT --pypi-url $PYPI"
$ALL --format json "$WORK/lock300/uv.lock" >/dev/null || true
echo "pypi requests after the filling run: $(curl -sf "$PYPI/stats")"
hyperfine -N --warmup 3 --runs 30 -i --export-json "$WORK/all.json" \
  -n text "$ALL --format text $WORK/lock300/uv.lock" \
  -n json "$ALL --format json $WORK/lock300/uv.lock" \
  -n sarif "$ALL --format sarif $WORK/lock300/uv.lock" \
  -n cyclonedx "$ALL --format cyclonedx $WORK/lock300/uv.lock" \
  -n markdown "$ALL --format markdown $WORK/lock300/uv.lock" >/dev/null
python3 -c "
import json, statistics as s
for r in json.load(open('$WORK/all.json'))['results']:
    t = r['times']; print(f\"  {r['command']:<10} median {s.median(t)*1e3:.1f} ms, min {min(t)*1e3:.1f} ms\")"
echo "pypi requests after the warm runs:   $(curl -sf "$PYPI/stats") (unchanged = served from the cache)"
$ALL --format json "$WORK/lock300/uv.lock" | python3 -c "import json,sys; print('  findings by rule:', json.load(sys.stdin)['summary']['by_rule'])" || true

echo "== db import of the PyPA database (target < 2 s)"
hyperfine -N --warmup 1 --runs 5 --prepare "rm -rf $WORK/import-cache" \
  "$BIN db import --quiet --cache-dir $WORK/import-cache $SHARED/advisories/pypa" | grep -E "Time|Range" || true

if [ "${1:-}" != "--no-compare" ]; then
  echo "== cold, side by side (compare.sh)"
  # uv audit and pip-audit check vulnerabilities only: so does pyaudit here (the loopback OSV
  # server does not serve PyPI's project JSON either).
  PYAUDIT_ARGS="lock --osv-url {osv} --pypi-url {pypi} --allow PA2 --allow PA3 --allow PA004 --format json {lock}" \
    BENCH_VENV="$VENV" PYAUDIT_BIN="$BIN" "$SHARED/bench/compare.sh" "$PWD/scripts/compare-shim.sh"
fi
