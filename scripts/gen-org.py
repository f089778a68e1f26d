#!/usr/bin/env python3
"""Generate an organisation of repositories for `pyaudit org` scale runs (scripts/bench-org.sh).

Each repository gets a `.git` directory and one lockfile: a uv.lock (most), a requirements.txt, or
every twentieth a copy of a real poetry.lock from ../shared/fixtures/real. Packages are drawn from
a shared pool (skewed, so popular packages are in many repositories) of `fakepkg-NNNN` names — the
loopback OSV server answers any name — plus a few real vulnerable pins; about one in ten pool
packages comes in two versions, so the unique `name==version` pairs are about 1.1 x the pool.

Usage: gen-org.py OUTDIR [--repos 1000] [--entries 200] [--pool 4500] [--index URL] [--seed 7]
"""
import argparse
import hashlib
import random
import shutil
from pathlib import Path

VULN_PINS = [("requests", "2.19.0"), ("urllib3", "1.24.1"), ("jinja2", "2.10"), ("idna", "2.7")]
REAL_POETRY = Path(__file__).resolve().parent.parent.parent / "shared/fixtures/real/python-poetry__poetry"


def uv_lock(root, pins, index):
    files = index.rsplit("/simple", 1)[0] + "/files"
    out = ["version = 1", "revision = 3", 'requires-python = ">=3.9"', ""]
    for name, version in pins:
        digest = hashlib.sha256(f"{name}-{version}".encode()).hexdigest()
        out += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'source = {{ registry = "{index}" }}',
            f'sdist = {{ url = "{files}/{name}-{version}.tar.gz", hash = "sha256:{digest}", size = 1000 }}',
            "",
        ]
    out += ["[[package]]", f'name = "{root}"', 'version = "0.1.0"', 'source = { virtual = "." }', "dependencies = ["]
    out += [f'    {{ name = "{name}" }},' for name, _ in pins]
    out += ["]", "", "[package.metadata]", "requires-dist = ["]
    out += [f'    {{ name = "{name}", specifier = "=={version}" }},' for name, version in pins]
    out += ["]", ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=206)
    parser.add_argument("--pool", type=int, default=4500)
    parser.add_argument("--index", default="http://127.0.0.1:8765/simple")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = [f"fakepkg-{i:04d}" for i in range(args.pool)]
    weights = [1.0 / (1 + i) ** 0.3 for i in range(args.pool)]
    total = 0
    for number in range(args.repos):
        repo = args.outdir / f"team-{number % 25:02d}" / f"repo-{number:04d}"
        (repo / ".git").mkdir(parents=True, exist_ok=True)
        if number % 20 == 19 and (REAL_POETRY / "poetry.lock").is_file():
            for name in ("poetry.lock", "pyproject.toml"):
                shutil.copy(REAL_POETRY / name, repo / name)
            total += (REAL_POETRY / "poetry.lock").read_text().count("[[package]]")
            continue
        names = set()
        while len(names) < args.entries - len(VULN_PINS):
            names.update(rng.choices(pool, weights, k=args.entries))
        names = sorted(names)[: args.entries - len(VULN_PINS)]
        pins = [(name, "1.1.0" if int(name[-4:]) % 10 == 3 and rng.random() < 0.5 else "1.0.0") for name in names]
        pins += VULN_PINS if number % 3 == 0 else []
        pins.sort()
        total += len(pins)
        if number % 4 == 3:
            (repo / "requirements.txt").write_text("".join(f"{n}=={v}\n" for n, v in pins))
        else:
            (repo / "uv.lock").write_text(uv_lock(f"repo-{number:04d}", pins, args.index))
    print(f"{args.outdir}: {args.repos} repositories, {total} lock entries")


if __name__ == "__main__":
    main()
