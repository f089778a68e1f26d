#!/usr/bin/env bash
# What the side-by-side benchmark's server allows at best, next to what pyaudit and `uv audit`
# take, in one run: for each case of ../shared/bench/compare.sh (synthetic 100 and 500, crewAI's
# uv.lock; 0 and 50 ms), the time curl alone needs to fetch the lock's Simple API pages from the
# loopback server (one per project, keep-alive, the best of 4 to 128 in parallel) — a client
# that does nothing else — and both auditors' cold default runs. Every auditor fetches those
# pages (the default rules read them), so no run can be faster than that floor, whatever the
# client; at 50 ms, the advisories add two dependent requests (the batch query, then the records
# it names) on top of one. Where half of uv audit's time is below the floor, no client can be
# twice as fast as uv audit on that case. Minimum of RUNS runs each. Measures; asserts nothing.
#
# Usage: scripts/server-floor.sh [PYAUDIT_BIN]
# Env:   RUNS=5  LATENCIES="0 50"  SIZES="100 500"  REAL_LOCK=path/to/uv.lock
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="$(cd ../shared 2>/dev/null && pwd)" || { echo "needs ../shared (the bench server)" >&2; exit 2; }
BIN="$(realpath "${1:-target/release/pyaudit}")"
[ -x "$BIN" ] || { echo "no pyaudit binary at $BIN (cargo build --release)" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }
RUNS="${RUNS:-5}"; LATENCIES=(${LATENCIES:-0 50}); SIZES=(${SIZES:-100 500})
REAL_LOCK="${REAL_LOCK:-$SHARED/fixtures/real/crewAIInc__crewAI/uv.lock}"
VENV="${BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pyaudit-bench/venv}"
if [ ! -x "$VENV/bin/uv" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q uv packaging pyyaml
fi
WORK="$(mktemp -d)"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The fastest of RUNS runs of a command, in milliseconds (its output discarded).
best_of() {
  local best="" start end
  for _ in $(seq "$RUNS"); do
    [ -n "${PREPARE:-}" ] && eval "$PREPARE"
    start=$(now_ms)
    "$@" >/dev/null 2>&1 || true
    end=$(now_ms)
    if [ -z "$best" ] || [ $((end - start)) -lt "$best" ]; then best=$((end - start)); fi
  done
  echo "$best"
}

echo "| case | curl, Simple pages only | pyaudit lock | uv audit | uv audit / pyaudit | half of uv audit |"
echo "|---|---|---|---|---|---|"
port="${PORT:-18797}"
for lat in "${LATENCIES[@]}"; do
  "$VENV/bin/python" "$SHARED/bench/osv_server.py" --port "$port" --delay-ms "$lat" 2>"$WORK/server.log" &
  PIDS+=($!)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/stats" >/dev/null && break; sleep 0.2; done
  server="http://127.0.0.1:$port"
  cases=()
  for n in "${SIZES[@]}"; do
    python3 "$SHARED/bench/gen_lock.py" "$WORK/synth-$lat-$n" "$n" --index "$server/simple" >/dev/null
    cases+=("synthetic-$n:$WORK/synth-$lat-$n")
  done
  if [ -f "$REAL_LOCK" ]; then
    d="$WORK/real-$lat"; mkdir -p "$d"; cp "$(dirname "$REAL_LOCK")"/pyproject.toml "$d/" 2>/dev/null || true
    sed -E "s#registry = \"[^\"]+\"#registry = \"$server/simple\"#g" "$REAL_LOCK" > "$d/uv.lock"
    cases+=("$(basename "$(dirname "$REAL_LOCK")"):$d")
  fi
  for c in "${cases[@]}"; do
    label="${c%%:*} @${lat}ms"; dir="${c#*:}"
    # One Simple page per registry project of the lock, as every auditor asks it.
    : >"$WORK/urls"
    grep -E '^name = "' "$dir/uv.lock" | sed -E 's/name = "([^"]+)"/\1/' | sort -u | while read -r name; do
      printf 'url = "%s/simple/%s/"\noutput = "/dev/null"\n' "$server" "$name" >>"$WORK/urls"
    done
    floor=""
    for parallel in 4 8 16 64 128; do
      ms=$(PREPARE="" best_of curl -s --noproxy "*" --parallel --parallel-immediate --parallel-max "$parallel" \
        -H "Accept: application/vnd.pypi.simple.v1+json" -K "$WORK/urls")
      if [ -z "$floor" ] || [ "$ms" -lt "$floor" ]; then floor=$ms; fi
    done
    pyaudit=$(PREPARE="rm -rf $WORK/cache" best_of "$BIN" lock --quiet --cache-dir "$WORK/cache" \
      --osv-url "$server" --pypi-url "$server" --format json "$dir/uv.lock")
    uv=$(PREPARE="rm -rf $WORK/uv-cache" best_of env UV_CACHE_DIR="$WORK/uv-cache" "$VENV/bin/uv" audit \
      --frozen --directory "$dir" --preview-features audit-command,json-output \
      --service-url "$server/" --output-format json)
    ratio=$(python3 -c "print(f'{$uv / max($pyaudit, 1):.2f}×')")
    echo "| $label | $floor ms | $pyaudit ms | $uv ms | $ratio | $((uv / 2)) ms |"
  done
  port=$((port + 1))
done
