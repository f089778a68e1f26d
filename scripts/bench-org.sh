#!/usr/bin/env bash
# `pyaudit org` at scale, all on 127.0.0.1: 1,000 generated repositories (scripts/gen-org.py,
# ~200,000 lock entries, ~5,000 unique packages). The default org run — vulnerabilities from the
# loopback OSV server (../shared/bench/osv_server.py), every rule at its default level, and the
# license and maintenance censuses from PyPI metadata served by the loopback PyPI
# (scripts/pypi-bench-server.py --scan, varied licenses, some yanked and archived) — first fills
# the cache, then warm runs are timed with peak RSS (/usr/bin/time -v). Targets: warm run < 10 s
# and < 1 GiB on 2 cores. Then the sharded row: the same organisation as SHARDS shards run
# PARALLEL at a time (each with its own copy of the warm cache, as each shard's machine imports the
# data snapshot), then `pyaudit org-merge`; wall time and peak RSS per shard and for the merge.
# Usage: [PORT=18792 PYPI_PORT=18793] [SHARDS=8 PARALLEL=2] scripts/bench-org.sh [REPOS]
#   (needs python3 with packaging + PyYAML, as bench-lock.sh; e.g. 10000 repositories as 8 shards;
#   PYAUDIT_BIN=target/debug/pyaudit skips the release build, for a quick check of the script only)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="$(cd ../shared && pwd)"
REPOS="${1:-1000}"
VENV="${BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pyaudit-bench/venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q packaging pyyaml
fi
if [ -n "${PYAUDIT_BIN:-}" ]; then
  BIN="$(cd "$(dirname "$PYAUDIT_BIN")" && pwd)/$(basename "$PYAUDIT_BIN")"
else
  cargo build --release --quiet
  BIN="$PWD/target/release/pyaudit"
fi
SHARDS="${SHARDS:-8}"
PARALLEL="${PARALLEL:-2}"
WORK="$(mktemp -d)"
PORT="${PORT:-18792}"
PYPI_PORT="${PYPI_PORT:-18793}"
# Another benchmark on the same machine may hold a port: say so instead of measuring its server.
for port in "$PORT" "$PYPI_PORT"; do
  if curl -sf "http://127.0.0.1:$port/stats" >/dev/null 2>&1; then
    echo "port $port is already in use: set PORT / PYPI_PORT to free ones" >&2; exit 2
  fi
done
"$VENV/bin/python" "$SHARED/bench/osv_server.py" --port "$PORT" 2>"$WORK/server.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/stats" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/stats" >/dev/null || { echo "the OSV server did not start: $WORK/server.log" >&2; exit 2; }
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost

python3 scripts/gen-org.py "$WORK/org" --repos "$REPOS" --index "http://127.0.0.1:$PORT/simple"
python3 scripts/pypi-bench-server.py --port "$PYPI_PORT" --scan "$WORK/org" --varied 2>"$WORK/pypi.log" &
PYPI_PID=$!
trap 'kill $SERVER_PID $PYPI_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PYPI_PORT/stats" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PYPI_PORT/stats" >/dev/null || { echo "the PyPI server did not start: $WORK/pypi.log" >&2; exit 2; }
PYPI="http://127.0.0.1:$PYPI_PORT"
# The default run: every rule at its default level, the censuses on.
ORG="$BIN org $WORK/org --cache-dir $WORK/cache --osv-url http://127.0.0.1:$PORT --pypi-url $PYPI --format json --no-history"
echo "== cold run (fills the cache)"
/usr/bin/time -f "  %e s, peak RSS %M KiB" $ORG --output "$WORK/cold.json" 2>&1 | grep -E "^  |pyaudit org:" || true
echo "server requests after the cold run: OSV $(curl -sf "http://127.0.0.1:$PORT/stats"), PyPI $(curl -sf "$PYPI/stats")"
echo "== warm runs (target < 10 s, < 1 GiB)"
for run in 1 2 3; do
  /usr/bin/time -v $ORG --output "$WORK/warm.json" --html "$WORK/warm.html" 2>"$WORK/time.txt" || true
  elapsed=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
  echo "  run $run: wall $elapsed, peak RSS $((rss / 1024)) MiB"
done
echo "server requests after the warm runs: OSV $(curl -sf "http://127.0.0.1:$PORT/stats"), PyPI $(curl -sf "$PYPI/stats") (unchanged = served from the cache)"
python3 -c "
import json, os
d = json.load(open('$WORK/warm.json'))
s = d['summary']
print(f\"  {s['repositories']} repositories, {s['lockfiles']} lockfiles, {s['packages']} lock entries, {s['unique_packages']} unique packages, {s['deny']} deny / {s['warn']} warn findings, {len(d['advisories'])} advisories\")
c = d['census']
print(f\"  census: {c['state']}, {c['packages']} packages, {c['unchecked']} unchecked; {len(d['licenses'] or [])} licenses, {len(d['maintenance'])} maintenance entries\")
print('  findings by rule:', s['by_rule'])
print(f\"  report sizes: JSON {os.path.getsize('$WORK/warm.json') // 1024} KiB, HTML {os.path.getsize('$WORK/warm.html') // 1024} KiB\")"

echo "== sharded: $SHARDS shards, $PARALLEL at a time, then org-merge"
measure() { # FILE LABEL: wall time and peak RSS from a /usr/bin/time -v report
  local elapsed rss
  elapsed=$(grep "Elapsed (wall clock)" "$1" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$1" | awk '{print $NF}')
  echo "  $2: wall $elapsed, peak RSS $((rss / 1024)) MiB"
}
for ((shard = 0; shard < SHARDS; shard++)); do
  cp -r "$WORK/cache" "$WORK/cache-$shard"
done
SHARDED_START=$(date +%s.%N)
pids=()
for ((shard = 0; shard < SHARDS; shard++)); do
  /usr/bin/time -v $BIN org "$WORK/org" --cache-dir "$WORK/cache-$shard" \
    --osv-url "http://127.0.0.1:$PORT" --pypi-url "$PYPI" --format json --no-history \
    --shard "$shard/$SHARDS" --output "$WORK/shard-$shard.json" 2>"$WORK/shard-time-$shard.txt" &
  pids+=($!)
  if (( ${#pids[@]} == PARALLEL )); then
    for pid in "${pids[@]}"; do wait "$pid" || true; done
    pids=()
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
SHARDS_END=$(date +%s.%N)
for ((shard = 0; shard < SHARDS; shard++)); do
  measure "$WORK/shard-time-$shard.txt" "shard $shard/$SHARDS"
done
/usr/bin/time -v $BIN org-merge "$WORK"/shard-*.json --cache-dir "$WORK/cache-merge" --no-history \
  --format json --output "$WORK/merged.json" --html "$WORK/merged.html" 2>"$WORK/merge-time.txt" || true
MERGE_END=$(date +%s.%N)
measure "$WORK/merge-time.txt" "org-merge"
python3 -c "
import json
d = json.load(open('$WORK/merged.json'))
w = json.load(open('$WORK/warm.json'))
same = (d['summary'] == w['summary'] and len(d['advisories']) == len(w['advisories']))
print(f\"  shards {$SHARDS_END - $SHARDED_START:.1f} s wall in all, merge {$MERGE_END - $SHARDS_END:.1f} s; merged: {d['summary']['repositories']} repositories, {len(d['advisories'])} advisories; summary as the unsharded run: {same}\")"
