"""`make fuzz`: schemathesis against the OpenAPI schema, over real HTTP, on a fresh tenant.

Starts gunicorn (gthread) on a free port, seeds the `fuzz` tenant (its own schema, dropped again at
the end), and runs every operation of the schema on fuzz.localhost with the stateful phase following
the schema's links. Fails on any 5xx, any status, content type or body the schema does not document
(so any non-JSON error). FUZZ_CASES (default 1000) is the least number of generated cases: it sets
schemathesis' examples per operation. FUZZ_CHECKS replaces the list of checks (e.g. to explore with
positive_data_acceptance). Exit status: schemathesis'.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import django

from bench.serving import server_env
from fuzz.seed import FUZZ_HOST, drop_fuzz_tenant, fresh_fuzz_tenant

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
REPORT_DIR = ROOT / "test-artifacts" / "fuzz"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    # As in production: DEBUG off (what clients get is what production answers), offline model.
    env = server_env(FUZZ_HOST, CHAT_THROTTLE_RATE=os.environ.get("FUZZ_CHAT_THROTTLE_RATE", "100000/min"))
    server = subprocess.Popen(
        # The production worker setup (config/gunicorn.conf.py), bound to a free port of the loopback.
        [str(BIN / "gunicorn"), "--config", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/health", headers={"Host": FUZZ_HOST})
            with urllib.request.urlopen(request, timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited before serving") from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def operation_count(port: int, token: str) -> int:
    import json

    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/schema/?format=json",
                                     headers={"Host": FUZZ_HOST, "Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        paths = json.load(response)["paths"]
    return sum(1 for item in paths.values() for method in item if method in {"get", "post", "put", "patch", "delete"})


def main() -> int:
    cases = int(os.environ.get("FUZZ_CASES", "1000"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    token = fresh_fuzz_tenant()
    port = free_port()
    server = start_server(port)
    try:
        operations = operation_count(port, token)
        per_operation = max(1, math.ceil(cases / operations))
        print(f"fuzzing {operations} operations on {FUZZ_HOST}, {per_operation} cases each (at least {cases})",
              flush=True)
        command = [
            str(BIN / "schemathesis"), "run", f"http://127.0.0.1:{port}/api/schema/?format=json",
            "--header", f"Host: {FUZZ_HOST}", "--header", f"Authorization: Token {token}",
            "--checks", os.environ.get("FUZZ_CHECKS", CHECKS), "--max-examples", str(per_operation),
            "--phases", "examples,coverage,fuzzing,stateful", "--workers", "1",
            "--seed", os.environ.get("FUZZ_SEED", "1"), "--request-timeout", "30",
            "--report", "junit", "--report-dir", str(REPORT_DIR),
        ]
        return subprocess.run(command, cwd=ROOT).returncode
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop_fuzz_tenant()


if __name__ == "__main__":
    sys.exit(main())
