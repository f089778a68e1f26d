#!/usr/bin/env bash
# Builds the `pyaudit-cli` wheel (pyproject.toml, maturin `bindings = "bin"`) and its sdist,
# installs the wheel into a fresh virtual environment and runs the installed `pyaudit`:
# `--version`, then a real audit with no network (tests/data/uv-project/uv.lock against
# tests/data/pypa-advisory-db-2024-10-10.zip, which must find PYSEC-2024-60 and exit 1). Fails loudly on any surprise.
#
# Environment:
#   CARGO_TARGET_DIR       shared with `cargo test` so nothing is compiled twice [default: target]
#   PYAUDIT_WHEEL_PROFILE  cargo profile of the wheel [default: dev, which reuses the test build;
#                          `release` builds the wheel as published]
#   PYAUDIT_WHEEL_OUT      keep the built wheel in this directory [default: discarded]
#   PYTHON                 the interpreter for the virtual environments [default: python3]
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
profile="${PYAUDIT_WHEEL_PROFILE:-dev}"
python="$(command -v "${PYTHON:-python3}")" || { echo "check-wheel: FAILED: no ${PYTHON:-python3}" >&2; exit 1; }

fail() {
  echo "check-wheel: FAILED: $*" >&2
  exit 1
}
step() { echo "check-wheel: $*" >&2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/pyaudit-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT

version="$("$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["package"]["version"])' Cargo.toml)"
distribution="$("$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["name"])' pyproject.toml)"
[ "$distribution" = "pyaudit-cli" ] || fail "pyproject.toml names the distribution '$distribution'; README.md documents pyaudit-cli"

step "installing maturin into a build environment"
"$python" -m venv "$work/build"
"$work/build/bin/python" -m pip install --quiet --disable-pip-version-check "maturin>=1.9,<2" \
  || fail "cannot install maturin from PyPI"

step "building the wheel (profile $profile, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
start=$SECONDS
"$work/build/bin/maturin" build --locked --profile "$profile" --out "$work/dist" \
  || fail "maturin build"
step "wheel built in $((SECONDS - start)) s"
"$work/build/bin/maturin" sdist --out "$work/sdist" >/dev/null 2>&1 || fail "maturin sdist"

shopt -s nullglob
wheels=("$work"/dist/*.whl)
sdists=("$work"/sdist/*.tar.gz)
shopt -u nullglob
[ "${#wheels[@]}" -eq 1 ] || fail "expected one wheel, found: ${wheels[*]:-none}"
[ "${#sdists[@]}" -eq 1 ] || fail "expected one sdist, found: ${sdists[*]:-none}"
wheel="${wheels[0]}"
case "$(basename "$wheel")" in
  "pyaudit_cli-$version-py3-none-"*.whl) ;;
  *) fail "unexpected wheel name $(basename "$wheel") (want pyaudit_cli-$version-py3-none-<platform>.whl)" ;;
esac

# The wheel holds the binary as a script and the metadata users see on PyPI; the sdist holds
# everything `pip install` needs to build from source (the lockfile, the workspace crates).
"$python" - "$wheel" "${sdists[0]}" "$version" <<'PY' || fail "wheel or sdist contents"
import sys, tarfile, zipfile
wheel, sdist, version = sys.argv[1:]
names = zipfile.ZipFile(wheel).namelist()
script = f"pyaudit_cli-{version}.data/scripts/pyaudit"
assert script in names, f"{script} not in the wheel: {names}"
metadata = zipfile.ZipFile(wheel).read(f"pyaudit_cli-{version}.dist-info/METADATA").decode()
for line in ("Name: pyaudit-cli", f"Version: {version}", "License-Expression: MIT OR Apache-2.0"):
    assert line in metadata.splitlines(), f"METADATA lacks {line!r}"
assert "pyaudit-cli" in metadata and "uvx" in metadata, "the README (long description) is missing"
members = {name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name}
for needed in ("Cargo.toml", "Cargo.lock", "pyproject.toml", "src/main.rs",
               "advisories/Cargo.toml", "cache/Cargo.toml",
               # sled with the cache's patch, which the workspace's [patch.crates-io] points at
               "vendor/sled/Cargo.toml", "vendor/sled/src/lazy.rs"):
    assert needed in members, f"{needed} not in the sdist"
PY

step "installing $(basename "$wheel") into a fresh virtual environment"
"$python" -m venv "$work/run"
"$work/run/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel" \
  || fail "pip install of the wheel"

# Only the virtual environment on PATH, and any request the audit might make goes nowhere.
export PATH="$work/run/bin:/usr/bin:/bin"
export PYAUDIT_CACHE_DIR="$work/cache"
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9
[ "$(command -v pyaudit)" = "$work/run/bin/pyaudit" ] \
  || fail "pyaudit on PATH is '$(command -v pyaudit)', not the wheel's"
got="$(pyaudit --version)" || fail "pyaudit --version exited $?"
[ "$got" = "pyaudit $version" ] || fail "pyaudit --version printed '$got', want 'pyaudit $version'"

step "auditing tests/data/uv-project/uv.lock offline with the installed pyaudit"
# The PyPA snapshot in the repository (a complete copy), with the clock pinned to the day after it.
export PYAUDIT_NOW=2024-10-11
pyaudit db import tests/data/pypa-advisory-db-2024-10-10.zip >/dev/null \
  || fail "pyaudit db import exited $?"
status=0
output="$(pyaudit lock --offline tests/data/uv-project/uv.lock 2>&1)" || status=$?
if [ "$status" -ne 1 ] || ! grep -q 'PYSEC-2024-60' <<<"$output" || ! grep -q 'idna==3.6' <<<"$output"; then
  printf '%s\n' "$output" >&2
  fail "pyaudit lock exited $status; want 1 with PYSEC-2024-60 for idna==3.6"
fi
status=0
pyaudit lock --offline --format sarif --output "$work/pyaudit.sarif" tests/data/uv-project/uv.lock \
  || status=$?
[ "$status" -eq 1 ] || fail "pyaudit lock --format sarif exited $status, want 1"
"$python" - "$work/pyaudit.sarif" <<'PY' || fail "the SARIF report"
import json, sys
results = json.load(open(sys.argv[1]))["runs"][0]["results"]
# Offline, warnings about metadata that is not cached come along; what fails the run is PA101.
errors = [(r["ruleId"], r["properties"]["package"]) for r in results if r["level"] == "error"]
assert errors == [("PA101", "idna")], results
PY

if [ -n "${PYAUDIT_WHEEL_OUT:-}" ]; then
  mkdir -p "$PYAUDIT_WHEEL_OUT"
  cp "$wheel" "$PYAUDIT_WHEEL_OUT/"
fi
step "ok: $(basename "$wheel") installs a working pyaudit $version"
