#!/usr/bin/env python3
"""The loopback OSV server of the side-by-side benchmark (../shared/bench/osv_server.py), plus
one answer api.osv.dev gives and it does not: `POST /v1/query` with a package and no version
answers every record of the package (the shared server answers `{}`). Everything else —
records, matching, latency, /stats — is the shared server's own.

pyaudit asks a vulnerable package's whole history alongside its records, to check the versions
a fix moves to without another round trip; on the shared server that answer is empty, fails
pyaudit's consistency check, and the versions are asked as before. This server shows the path
real OSV takes.

Usage: osv-package-server.py [--port 8765] [--data DIR] [--delay-ms 0]   (as osv_server.py)
"""
import importlib.util
import json
import sys
from pathlib import Path

SHARED_SERVER = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "osv_server.py"


def load_shared_server():
    spec = importlib.util.spec_from_file_location("osv_server", SHARED_SERVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    shared = load_shared_server()
    make_shared_handler = shared.make_handler

    def make_handler(db, delay_s, stats, lock):
        Shared = make_shared_handler(db, delay_s, stats, lock)

        class Handler(Shared):
            def do_POST(self):
                path = self.path.split("?")[0].rstrip("/")
                if not path.endswith("/v1/query"):
                    return super().do_POST()
                try:
                    body = self._body()
                except Exception:
                    return self._send(400, {"message": "bad json"})
                self._count("query")
                package = body.get("package") or {}
                if package.get("ecosystem", "PyPI") != "PyPI":
                    return self._send(200, {})
                name = package.get("name", "")
                if "version" in body:
                    vulns = db.query(name, body["version"])
                else:
                    seen, vulns = set(), []
                    for record in db.by_pkg.get(shared.canon(name), []):
                        if record["id"] not in seen:
                            seen.add(record["id"])
                            vulns.append(record)
                return self._send(200, {"vulns": vulns} if vulns else {})

        return Handler

    shared.make_handler = make_handler
    return shared.main()


if __name__ == "__main__":
    sys.exit(main())
