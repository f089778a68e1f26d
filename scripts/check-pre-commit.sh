#!/usr/bin/env bash
# Tests `.pre-commit-hooks.yaml` with pre-commit itself (installed from PyPI): a snapshot of this
# working tree becomes the hook repository, pre-commit installs the `pyaudit` hook from it (pip
# builds the package with maturin) and runs it on `git commit` in throwaway project repositories:
#   - a commit of the vulnerable tests/data/uv-project/uv.lock is refused, naming PYSEC-2024-60;
#   - a commit that touches no lockfile does not run the hook at all;
#   - a commit of a clean requirements.txt passes;
# and the hook's `files` pattern is checked against the names `pyaudit lock .` reads. No test
# reaches an advisory service: the hook runs with `--offline` on a database imported beforehand.
#
# Environment:
#   CARGO_TARGET_DIR       shared with `cargo test` and maturin, so the hook's build only compiles
#                          the workspace crates again (in pre-commit's clone) [default: target]
#   PYAUDIT_WHEEL_PROFILE  cargo profile pip builds the hook with [default: dev]
#   PYTHON                 the interpreter for pre-commit's environment [default: python3]
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
profile="${PYAUDIT_WHEEL_PROFILE:-dev}"
python="$(command -v "${PYTHON:-python3}")" || { echo "check-pre-commit: FAILED: no ${PYTHON:-python3}" >&2; exit 1; }

fail() {
  echo "check-pre-commit: FAILED: $*" >&2
  exit 1
}
step() { echo "check-pre-commit: $*" >&2; }
command -v git >/dev/null || fail "git is not installed"

work="$(mktemp -d "${TMPDIR:-/tmp}/pyaudit-pre-commit.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Git identity and isolation for the throwaway repositories; pre-commit keeps its environments
# under PRE_COMMIT_HOME, pip builds the hook with the shared target directory and the profile.
export GIT_AUTHOR_NAME=check GIT_AUTHOR_EMAIL=check@example.invalid
export GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@example.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export PRE_COMMIT_HOME="$work/pre-commit-home"
export MATURIN_PEP517_ARGS="--locked --profile $profile"
export PYAUDIT_CACHE_DIR="$work/cache"
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9
# pip, only, fetches pre-commit and maturin from PyPI: it goes around the dead proxy above.
pip_env=(env -u HTTPS_PROXY -u HTTP_PROXY -u ALL_PROXY)

step "installing pre-commit"
"$python" -m venv "$work/venv"
"${pip_env[@]}" "$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "pre-commit>=3,<5" || fail "cannot install pre-commit from PyPI"
pre_commit="$work/venv/bin/pre-commit"

# The hook's `files` pattern, in Python's `re` as pre-commit applies it, against the names that
# `pyaudit lock .` reads at a repository root (and pyaudit's configuration), and names it must not.
"$work/venv/bin/python" - .pre-commit-hooks.yaml <<'PY' || fail "the hook's files pattern"
import re, sys
import yaml  # pre-commit depends on PyYAML
hooks = {hook["id"]: hook for hook in yaml.safe_load(open(sys.argv[1]))}
hook = hooks["pyaudit"]
assert hook["entry"] == "pyaudit lock", hook
assert hook["pass_filenames"] is False, hook
pattern = re.compile(hook["files"])
match = ["uv.lock", "poetry.lock", "requirements.txt", "requirements-dev.txt", "Requirements.txt",
         "requirements.lock.txt", "requirements/base.txt", "requirements/tests.txt",
         "pyaudit.toml", ".pyaudit.toml", "pyproject.toml"]
skip = ["README.md", "src/app.py", "uv.lock.orig", "backend/uv.lock", "docs/requirements.txt",
        "requirements.in", "requirements/nested/base.txt", "Cargo.lock", "setup.cfg",
        "pyproject.toml.bak", "requirements/base.in"]
wrong = [name for name in match if not pattern.search(name)]
wrong += [f"{name} (should not run)" for name in skip if pattern.search(name)]
assert not wrong, wrong
PY

# A snapshot of the working tree (uncommitted changes included) as the hook repository.
step "snapshotting the working tree as the hook repository"
hook_repo="$work/hook-repo"
git clone --quiet --no-checkout "$repo" "$hook_repo"
git -C "$hook_repo" checkout --quiet --detach "$(git rev-parse HEAD)"
git -C "$hook_repo" rm -r --quiet .
git ls-files -z --cached --others --exclude-standard \
  | "$python" -c 'import os, sys; sys.stdout.write("".join(p + "\0" for p in sys.stdin.read().split("\0") if p and os.path.lexists(p)))' \
  | tar --null -T - -cf - | tar -xf - -C "$hook_repo"
git -C "$hook_repo" add --all
git -C "$hook_repo" commit --quiet --allow-empty -m "working tree snapshot"
rev="$(git -C "$hook_repo" rev-parse HEAD)"

# The advisory database the hook audits against, imported by pyaudit as built for the tests.
cargo build --quiet --locked --bin pyaudit || fail "cargo build"
# The PyPA snapshot in the repository, a complete copy; the clock is pinned to the day after it,
# so the data is fresh and a clean lock passes (stale data would leave it unchecked, exit 2).
export PYAUDIT_NOW=2024-10-11
"$CARGO_TARGET_DIR/debug/pyaudit" db import tests/data/pypa-advisory-db-2024-10-10.zip >/dev/null \
  || fail "pyaudit db import"

new_project() { # new_project DIR: a git repository using the hook, offline
  mkdir -p "$1"
  git -C "$1" init --quiet
  cat >"$1/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $hook_repo
    rev: $rev
    hooks:
      - id: pyaudit
        args: [--offline]
YAML
  echo "# demo" >"$1/README.md"
  git -C "$1" add .pre-commit-config.yaml README.md
  git -C "$1" commit --quiet -m "start" --no-verify
  (cd "$1" && "$pre_commit" install >/dev/null) || fail "pre-commit install"
}

step "installing the hook (pip builds pyaudit-cli from the snapshot, profile $profile)"
project="$work/project"
new_project "$project"
start=$SECONDS
(cd "$project" && "${pip_env[@]}" PYAUDIT_CACHE_DIR="$PYAUDIT_CACHE_DIR" "$pre_commit" install-hooks) \
  || fail "pre-commit install-hooks"
step "hook installed in $((SECONDS - start)) s"

step "a commit of a vulnerable uv.lock must be refused"
cp tests/data/uv-project/uv.lock tests/data/uv-project/pyproject.toml "$project/"
git -C "$project" add uv.lock pyproject.toml
status=0
output="$(git -C "$project" commit -m "add the lock" 2>&1)" || status=$?
printf '%s\n' "$output" | sed 's/^/    | /' >&2
[ "$status" -ne 0 ] || fail "the commit of a vulnerable lock succeeded"
grep -q 'pyaudit lock' <<<"$output" || fail "the hook did not run"
grep -q 'PYSEC-2024-60' <<<"$output" || fail "the hook's output does not name PYSEC-2024-60"
grep -q 'idna==3.6' <<<"$output" || fail "the hook's output does not name idna==3.6"
git -C "$project" diff --cached --quiet && fail "the refused commit's changes are no longer staged"

step "a commit without lockfile changes must not run the hook"
git -C "$project" reset --quiet
echo "more" >>"$project/README.md"
git -C "$project" add README.md
status=0
output="$(git -C "$project" commit -m "docs" 2>&1)" || status=$?
printf '%s\n' "$output" | sed 's/^/    | /' >&2
[ "$status" -eq 0 ] || fail "a README-only commit was refused"
grep -q 'pyaudit lock.*(no files to check)Skipped' <<<"$output" \
  || fail "the hook was not skipped for a README-only commit"

step "a commit of a clean requirements.txt must pass"
clean="$work/clean-project"
new_project "$clean"
printf 'idna==3.7\n' >"$clean/requirements.txt"
git -C "$clean" add requirements.txt
status=0
output="$(git -C "$clean" commit -m "pin idna" 2>&1)" || status=$?
printf '%s\n' "$output" | sed 's/^/    | /' >&2
[ "$status" -eq 0 ] || fail "the commit of a clean requirements.txt was refused"
grep -q 'pyaudit lock.*Passed' <<<"$output" || fail "the hook did not pass on a clean lock"

step "ok: the pyaudit hook refuses vulnerable locks, passes clean ones, skips other changes"
