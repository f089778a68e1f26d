#!/usr/bin/env python3
"""A loopback PyPI for the benchmarks: the project JSON API and the PEP 691 Simple API.

Projects recorded in ../shared/pypi are served as recorded; any other name gets a small
synthetic project whose releases include the versions the given lockfiles pin (uploaded a year
before the benchmark's clock, MIT licensed), so every metadata rule has real data to read.

`--scan DIR` reads the pins of every uv.lock, poetry.lock and requirements*.txt under DIR (the
org benchmark's generated repositories). `--varied` gives the synthetic projects a spread of
licenses, makes about one in fifty locked releases yanked and one project in a hundred
archived (PEP 792), and gives only one project in ten a newer release, so the org censuses have
something to count without every lock entry being outdated.

Usage: pypi-bench-server.py --port PORT (--lock path/to/uv.lock | --scan DIR) [--varied]
"""
import argparse
import hashlib
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


def scan(root: Path) -> dict:
    found = {}
    for path in root.rglob("*"):
        if path.name in ("uv.lock", "poetry.lock"):
            for name, versions in pins(path).items():
                found.setdefault(name, []).extend(versions)
        elif path.name.startswith("requirements") and path.suffix == ".txt":
            for line in path.read_text().splitlines():
                match = re.match(r"\s*([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
                if match:
                    found.setdefault(match.group(1).lower(), []).append(match.group(2))
    return {name: sorted(set(versions)) for name, versions in found.items()}


LICENSES = ["MIT", "MIT", "Apache-2.0", "Apache-2.0", "BSD-3-Clause", "ISC", "MPL-2.0",
            "GPL-3.0-only", "LGPL-2.1-or-later", None]


def bucket(name: str, modulo: int) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % modulo


def synthetic(name: str, versions: list, varied: bool = False) -> dict:
    releases = {}
    # Every project has a newer 9.0.0 (PA207 material) unless --varied, where one in ten does.
    newest = ["9.0.0"] if not varied or bucket(name, 10) == 0 else []
    for version in versions + newest:
        releases[version] = [{
            "filename": f"{name.replace('-', '_')}-{version}-py3-none-any.whl",
            "packagetype": "bdist_wheel",
            "upload_time_iso_8601": "2025-11-25T00:00:00.000000Z" if version != "9.0.0"
            else "2026-10-01T00:00:00.000000Z",
            "yanked": varied and version != "9.0.0" and bucket(name + version, 50) == 0,
            "yanked_reason": None,
            "url": f"http://127.0.0.1/files/{name}-{version}.whl",
            "digests": {"sha256": "0" * 64},
            "size": 1000,
        }]
    return {
        "info": {"name": name, "version": (versions + newest)[-1],
                 "license_expression": LICENSES[bucket(name, len(LICENSES))] if varied else "MIT",
                 "license": None,
                 "classifiers": ["Development Status :: 5 - Production/Stable"]},
        "releases": releases,
        "urls": releases[(versions + newest)[-1]],
        "vulnerabilities": [],
    }


def simple_page(document: dict) -> dict:
    """The Simple API page (PEP 691 JSON, PEP 700 fields) carrying the same releases as a JSON
    API document, as PyPI serves both."""
    files = []
    for version, release in document["releases"].items():
        for file in release:
            reason = file.get("yanked_reason")
            files.append({
                "filename": file["filename"],
                "url": file.get("url") or f"http://127.0.0.1/files/{file['filename']}",
                "hashes": file.get("digests", {}),
                "requires-python": file.get("requires_python"),
                "size": file.get("size"),
                "upload-time": file.get("upload_time_iso_8601"),
                "yanked": (reason or True) if file.get("yanked") else False,
            })
    return {"meta": {"api-version": "1.4"}, "name": document["info"]["name"],
            "versions": list(document["releases"]), "files": files}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--lock", type=Path, action="append", default=[])
    parser.add_argument("--scan", type=Path)
    parser.add_argument("--varied", action="store_true")
    args = parser.parse_args()
    if not args.lock and not args.scan:
        parser.error("give --lock FILE or --scan DIR")
    locked = {}
    for lock in args.lock:
        for name, versions in pins(lock).items():
            locked.setdefault(name, []).extend(versions)
    if args.scan:
        for name, versions in scan(args.scan).items():
            locked.setdefault(name, []).extend(versions)
    counts = {"json": 0, "simple": 0}

    def document(name: str) -> dict:
        recorded = SHARED / f"{name}.json"
        if recorded.exists():
            return json.loads(recorded.read_text())
        return synthetic(name, locked.get(name, ["1.0.0"]), args.varied)

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
                return self.send_json(200, document(match.group(1).lower()))
            match = re.fullmatch(r"/simple/([^/]+)", path)
            if match:
                counts["simple"] += 1
                name = match.group(1).lower()
                recorded = SHARED / f"{name}.simple.json"
                if recorded.exists():
                    body = json.loads(recorded.read_text())
                else:
                    body = simple_page(document(name))
                if args.varied and bucket(name, 100) == 0:
                    body["project-status"] = {"status": "archived", "reason": "moved"}
                return self.send_json(200, body, "application/vnd.pypi.simple.v1+json")
            self.send_json(404, {"message": "Not Found"})

    class Server(ThreadingHTTPServer):
        # A cold run opens a burst of connections; the default backlog of 5 drops some, and the
        # retries they cost would be measured as requests.
        request_queue_size = 256

    Server(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
