#!/usr/bin/env bash
# Runs pyaudit for ../shared/bench/compare.sh. That script fills `{osv}`, `{pypi}`, `{lock}` into
# PYAUDIT_ARGS with `${var//\{osv\}/...}`, which bash 5.2 expands wrongly here: `{osv` and
# `.../uv.lock}` reach the program. This shim repairs the arguments (braces stripped; the OSV URL
# is the loopback server's, the same as `--pypi-url`) and execs pyaudit, so pyaudit is measured
# with one extra bash start-up (a few ms) against it, never in its favour.
# Usage: compare.sh scripts/compare-shim.sh   (PYAUDIT_BIN overrides target/release/pyaudit)
bin="${PYAUDIT_BIN:-$(cd "$(dirname "$0")/.." && pwd)/target/release/pyaudit}"
args=()
server=""
previous=""
for argument in "$@"; do
  argument="${argument#\{}"
  argument="${argument%\}}"
  [ "$previous" = "--pypi-url" ] && server="$argument"
  args+=("$argument")
  previous="$argument"
done
for index in "${!args[@]}"; do
  if [ "${args[$index]}" = "--osv-url" ] && [[ "${args[$((index + 1))]}" != http* ]]; then
    args[$((index + 1))]="$server"
  fi
done
exec "$bin" "${args[@]}"
