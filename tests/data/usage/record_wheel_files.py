"""Record the module-relevant file lists of the distributions locked in app/uv.lock, from an
environment where they are installed (each `*.dist-info/RECORD`), as `app/expected/wheel-files.json`.

The loopback server of tests/usage.rs builds a wheel per locked package from these lists, so the
tests read real file layouts (yaml + _yaml, bs4, sklearn, PIL, google/cloud/storage as a namespace
package, ...) without the network. Kept: `__init__.py` files up to three directories deep, top-level
modules, and the modules of namespace directories (no `__init__.py`) up to three deep. Run: `/tmp/deptry-venv/bin/python record_wheel_files.py` (see app/expected/README.md).
"""

import json
import pathlib
import re
import sys
import tomllib
from importlib import metadata

here = pathlib.Path(__file__).parent
lock = tomllib.loads((here / "app" / "uv.lock").read_text())
suffixes = (".py", ".pyi", ".so", ".pyd")
out = {}
for package in lock["package"]:
    name = package["name"]
    if "registry" not in package.get("source", {}):
        continue
    try:
        distribution = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        out[name] = {"installed": None, "files": []}
        continue
    paths = [
        str(file)
        for file in distribution.files or []
        if not str(file).startswith("..")
        and "__pycache__" not in str(file)
        and ".dist-info/" not in str(file)
        and str(file).endswith(suffixes)
    ]
    packages = {path.rsplit("/", 1)[0] for path in paths if path.endswith("/__init__.py")}
    files = [
        path
        for path in paths
        # Package markers two levels deep, top-level modules, and modules of namespace packages.
        if (path.endswith("/__init__.py") and path.count("/") <= 3)
        or "/" not in path
        or (path.count("/") <= 3 and path.rsplit("/", 1)[0] not in packages)
    ]
    out[name] = {"installed": distribution.version, "files": sorted(files)}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
