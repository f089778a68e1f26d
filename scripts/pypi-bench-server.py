#!/usr/bin/env python3
"""A loopback PyPI for the benchmarks: the project JSON API and the PEP 691 Simple API.

Projects recorded in ../shared/pypi are served as recorded; any other name gets a small
synthetic project whose releases include the version the given lockfile pins (uploaded a year
before the benchmark's clock, MIT licensed), so every metadata rule has real data to read.

Usage: pypi-bench-server.py --port PORT --lock path/to/uv.lock
"""
import argparse
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "pypi"


def pins(lock: Path) -> dict:
    found = {}
    name = None
    for line in lock.read_text().splitlines():
        match = re.match(r'name = "([^"]+)"', line)
        if match:
            name = match.group(1)
            continue
        match = re.match(r'version = "([^"]+)"', line)
        if match and name:
            found.setdefault(name, []).append(match.group(1))
            name = None
    return found


def synthetic(name: str, versions: list) -> dict:
    releases = {}
    for version in versions + ["9.0.0"]:
        releases[version] = [{
            "filename": f"{name.replace('-', '_')}-{version}-py3-none-any.whl",
            "packagetype": "bdist_wheel",
            "upload_time_iso_8601": "2025-11-25T00:00:00.000000Z" if version != "9.0.0"
            else "2026-10-01T00:00:00.000000Z",
            "yanked": False,
            "yanked_reason": None,
            "url": f"http://127.0.0.1/files/{name}-{version}.whl",
            "digests": {"sha256": "0" * 64},
            "size": 1000,
        }]
    return {
        "info": {"name": name, "version": "9.0.0", "license_expression": "MIT", "license": None,
                 "classifiers": ["Development Status :: 5 - Production/Stable"]},
        "releases": releases,
        "urls": releases["9.0.0"],
        "vulnerabilities": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--lock", type=Path, required=True)
    args = parser.parse_args()
    locked = pins(args.lock)
    counts = {"json": 0, "simple": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def send_json(self, status: int, body: dict, content_type="application/json") -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?")[0].rstrip("/")
            if path == "/stats":
                return self.send_json(200, counts)
            match = re.fullmatch(r"/pypi/([^/]+)/json", path)
            if match:
                counts["json"] += 1
                name = match.group(1).lower()
                recorded = SHARED / f"{name}.json"
                if recorded.exists():
                    return self.send_json(200, json.loads(recorded.read_text()))
                return self.send_json(200, synthetic(name, locked.get(name, ["1.0.0"])))
            match = re.fullmatch(r"/simple/([^/]+)", path)
            if match:
                counts["simple"] += 1
                name = match.group(1).lower()
                return self.send_json(200, {"meta": {"api-version": "1.1"}, "name": name,
                                            "files": [], "versions": locked.get(name, [])},
                                      "application/vnd.pypi.simple.v1+json")
            self.send_json(404, {"message": "Not Found"})

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
