"""The production server layout for benchmarks: gunicorn with gthread workers on 127.0.0.1, DEBUG off.

`config/gunicorn.conf.py` is the documented production worker setup (gthread workers; their number
and threads from WEB_CONCURRENCY and WEB_THREADS, which its connection pool size follows); without it
the same layout is given on the command line.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(hosts: str, **extra: str) -> dict:
    return {**os.environ, "LLM_PROVIDER": "offline", "CHAT_THROTTLE_RATE": "", "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50), "LOG_LEVEL": "WARNING",
            "ALLOW_EMBEDDED_DATABASE": "true", "ALLOWED_HOSTS": f"{hosts},localhost,127.0.0.1", **extra}


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    if GUNICORN_CONF.exists():  # workers and threads go by environment (start_gunicorn)
        return [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}",
                "--log-level", "warning"]
    return [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads)]


def start_gunicorn(port: int, env: dict, *, workers: int, threads: int, host: str) -> subprocess.Popen:
    """Start gunicorn and wait until `host` answers /health."""
    env = {**env, "WEB_CONCURRENCY": str(workers), "WEB_THREADS": str(threads), "PORT": str(port)}
    server = subprocess.Popen(gunicorn_command(port, workers, threads), cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health", headers={"Host": host})
            if connection.getresponse().status == 200:
                connection.close()
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the benchmark server did not start")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def worker_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's worker processes: the children of its master."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
