"""The web server: gunicorn's gthread workers, for `make run` (DEBUG on, reloading) and production alike.

    python -m gunicorn --config config/gunicorn.conf.py

Why threads: a streamed (Server-Sent Events) chat reply keeps its thread for as long as it streams; the
other threads of that worker keep answering. Each worker holds one psycopg connection pool with one
connection per thread at most, so the connections to PostgreSQL are bounded by
WEB_CONCURRENCY × WEB_THREADS, whatever the traffic (README, "Serving").

This file runs in gunicorn's master process before any worker starts. It must not import the Django
settings: the master would attach to the database (the embedded one in development) and keep it open.
"""

from __future__ import annotations

import os


def _env_bool(name: str, default: bool) -> bool:
    # The same reading of a boolean variable as config/settings.py's env_bool.
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DEBUG", False)

wsgi_app = "config.wsgi:application"
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# gthread, with gunicorn's own error pages (400, 414, 431: a request it refuses before Django sees it)
# written as the API's JSON errors (config/gunicorn_worker.py).
worker_class = "config.gunicorn_worker.JsonErrorThreadWorker"
# Two processes by default (this machine class has 2 cores); more cores, more workers.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))

# One pooled connection per thread: a request never waits for a connection another thread could lend,
# and a worker never holds more than `threads` connections. The settings read these when a worker
# loads them (config/database.py); setdefault lets an operator choose other figures.
os.environ.setdefault("DATABASE_POOL_MAX_SIZE", str(threads))
# Names the server's connections in pg_stat_activity (libpq reads PGAPPNAME).
os.environ.setdefault("PGAPPNAME", "personas-web")

# gthread: a worker is restarted when its main loop (not a request) stalls this long. A long streamed
# reply does not count against it; LLM_TIMEOUT_SECONDS bounds the model call inside a request.
timeout = int(os.environ.get("WEB_TIMEOUT_SECONDS", "30"))
graceful_timeout = 30
# Idle keep-alive connections wait in the worker's poller, not in a thread.
keepalive = 5

# Development: reload the workers when a Python file changes, and log each request as runserver did.
reload = DEBUG
accesslog = "-" if DEBUG else None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# No control socket: its default path is shared by every gunicorn of the user (tests run several).
control_socket_disable = True
