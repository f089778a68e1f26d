#!/usr/bin/env bash
# Round trips on the critical path of a cold `pyaudit lock`, all on 127.0.0.1: the same lock is
# audited against the loopback OSV/PyPI server (../shared/bench/osv_server.py) once without and
# once with an injected latency per request; the extra wall time divided by that latency is the
# number of requests that had to wait for one another. The floor is 2 (the OSV querybatch, then
# the records it names, with every PyPI request alongside). Also prints the server's request
# counts per run (/stats). Measures; asserts nothing.
#
# The shared server answers a package query without a version with `{}`, so the fix targets'
# check takes a third trip there; PACKAGE_QUERIES=1 serves those as api.osv.dev does (every
# record of the package, scripts/osv-package-server.py), where the vulnerable packages' histories
# answer that check alongside their records.
#
# Usage: scripts/round-trips.sh [PYAUDIT_BIN]
# Env:   SIZES="100 500"  LATENCY_MS=200  RUNS=3  PYAUDIT_EXTRA="--allow PA2"  (extra arguments)
#        PACKAGE_QUERIES=1
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="$(cd ../shared 2>/dev/null && pwd)" || { echo "needs ../shared (the bench server)" >&2; exit 2; }
BIN="$(realpath "${1:-target/release/pyaudit}")"
[ -x "$BIN" ] || { echo "no pyaudit binary at $BIN (cargo build --release)" >&2; exit 2; }
SIZES=(${SIZES:-100 500}); LATENCY_MS="${LATENCY_MS:-200}"; RUNS="${RUNS:-3}"
VENV="${BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pyaudit-bench/venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q packaging pyyaml
fi
WORK="$(mktemp -d)"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost
FAST_PORT="${PORT:-18795}"; SLOW_PORT=$((FAST_PORT + 1))
SERVER="$SHARED/bench/osv_server.py"
[ "${PACKAGE_QUERIES:-0}" = 1 ] && SERVER="$PWD/scripts/osv-package-server.py"
"$VENV/bin/python" "$SERVER" --port "$FAST_PORT" 2>"$WORK/fast.log" & PIDS+=($!)
"$VENV/bin/python" "$SERVER" --port "$SLOW_PORT" --delay-ms "$LATENCY_MS" 2>"$WORK/slow.log" & PIDS+=($!)
for port in "$FAST_PORT" "$SLOW_PORT"; do
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/stats" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/stats" >/dev/null || { echo "the server on $port did not start" >&2; exit 2; }
done

# The fastest of RUNS cold runs, in milliseconds; the request counts of the last one.
cold_ms() { # port lock
  local server="http://127.0.0.1:$1" best="" before after
  for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/cache"
    before=$(curl -sf "$server/stats")
    local start end
    start=$(date +%s%N)
    "$BIN" lock --quiet --cache-dir "$WORK/cache" --osv-url "$server" --pypi-url "$server" \
      ${PYAUDIT_EXTRA:-} --format json "$2" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    after=$(curl -sf "$server/stats")
    local ms=$(( (end - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  python3 - "$before" "$after" >"$WORK/counts" <<'PY'
import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(", ".join(f"{key} {after[key] - before.get(key, 0)}" for key in sorted(after) if after[key] != before.get(key, 0)))
PY
  echo "$best"
}

echo "| packages | cold @0 ms | cold @${LATENCY_MS} ms | round trips on the critical path | requests per run |"
echo "|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
  python3 "$SHARED/bench/gen_lock.py" "$WORK/fast-$n" "$n" --index "http://127.0.0.1:$FAST_PORT/simple" >/dev/null
  python3 "$SHARED/bench/gen_lock.py" "$WORK/slow-$n" "$n" --index "http://127.0.0.1:$SLOW_PORT/simple" >/dev/null
  fast=$(cold_ms "$FAST_PORT" "$WORK/fast-$n/uv.lock")
  slow=$(cold_ms "$SLOW_PORT" "$WORK/slow-$n/uv.lock")
  trips=$(python3 -c "print(f'{($slow - $fast) / $LATENCY_MS:.1f}')")
  echo "| $n | $fast ms | $slow ms | $trips | $(cat "$WORK/counts") |"
done
