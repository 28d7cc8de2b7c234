"""`make load`: the production server under a bounded loopback load, with its invariants checked.

The server is the production one: gunicorn with config/gunicorn.conf.py, DEBUG off, the compiled-prompt
cache in Redis (REDIS_URL, default redis://127.0.0.1:6379/14), the database of DATABASE_URL or, when it
is unset, the embedded one (ALLOW_EMBEDDED_DATABASE). LOAD_CLIENTS clients (default 50) send requests for
LOAD_SECONDS (default 60) against two fresh tenants, each client in one of them:
chat 50 %, list twins 15 %, list a twin's versions 10 %, create a version 15 %, publish one 10 %.
Only 127.0.0.1 is ever a target; every loop stops at the deadline.

Fails (exit 1) on any 5xx or other non-2xx answer or connection error, on any sample of the database
where a twin has not exactly one active version, and on any successful publish without its audit event
(or an audit event without its publish). Prints p50/p99 per endpoint and writes bench/load.json.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "load.json"
TENANTS = ("loada", "loadb")
TWINS_PER_TENANT = 4
SAMPLE_EVERY_SECONDS = 0.25
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
APPLICATION_NAME = "personas-load"  # the server's connections, in pg_stat_activity
EXAMPLE_SPEC = json.loads((ROOT / "personas" / "fixtures" / "persona_spec_example.json").read_text())
EXAMPLE_SPEC.pop("version", None)  # the server assigns the next patch version
MIX = [("chat", 50), ("list_twins", 15), ("list_versions", 10), ("create", 15), ("publish", 10)]
MESSAGES = ["Should we change our pricing before the next round?", "Summarize the hiring plan in three bullets.",
            "I disagree with your view on pricing.", "Are you an AI?", "What would have to be true?"]


# --- set-up: two fresh tenants, each with a user, a token and twins that have an active version ---------

def fresh_tenants() -> dict[str, dict]:
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from api_tokens.services import api_token_create
    from config.models import Domain, Tenant
    from personas.services import persona_spec_create
    from personas.transitions import persona_spec_publish
    from twins.services import twin_create

    tenants = {}
    for schema in TENANTS:
        existing = Tenant.objects.filter(schema_name=schema).first()
        if existing is not None:
            existing.delete(force_drop=True)
        tenant = Tenant(schema_name=schema, name=f"Load {schema[-1].upper()}")
        tenant.save(verbosity=0)
        Domain.objects.create(domain=f"{schema}.localhost", tenant=tenant, is_primary=True)
        with schema_context(schema):
            owner = get_user_model().objects.create_user("load", password=secrets.token_urlsafe(16))
            twins = []
            for index in range(TWINS_PER_TENANT):
                twin = twin_create(owner=owner, name=f"Load twin {index}", settings={"public_intro": "Load twin."})
                persona_spec_publish(persona_spec=persona_spec_create(twin=twin, actor=owner, spec=EXAMPLE_SPEC),
                                     actor=owner)
                twins.append(str(twin.pk))
            tenants[schema] = {"host": f"{schema}.localhost", "token": api_token_create(user=owner, expires_in=None)[1],
                               "twins": twins}
    return tenants


# --- the server ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(port: int, redis_url: str) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "false", "PORT": str(port), "REDIS_URL": redis_url,
           "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
           "CACHE_KEY_PREFIX": "personas-load", "LLM_PROVIDER": "offline", "LOG_LEVEL": "WARNING",
           "GUNICORN_LOG_LEVEL": "warning", "PGAPPNAME": APPLICATION_NAME,
           # One user per tenant sends every chat here: the per-user chat throttle would answer 429.
           "CHAT_THROTTLE_RATE": "",
           "ALLOWED_HOSTS": ",".join(["localhost", "127.0.0.1", *(f"{schema}.localhost" for schema in TENANTS)])}
    if not os.environ.get("DATABASE_URL", "").strip():
        env["ALLOW_EMBEDDED_DATABASE"] = "true"  # no DATABASE_URL: the embedded database, said on purpose
    return env


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py"], cwd=ROOT,
                              env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if call(HttpClient(port, f"{TENANTS[0]}.localhost", None), "GET", "/health")[0] == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start: see its log above")


# --- clients ---------------------------------------------------------------------------------------

class HttpClient:
    """One keep-alive connection to the server, as a browser or an integration keeps one."""

    def __init__(self, port: int, host: str, token: str | None):
        self.port, self.host, self.token = port, host, token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def reconnect(self):
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)


def call(client: HttpClient, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    headers = {"Host": client.host, "Content-Type": "application/json"}
    if client.token:
        headers["Authorization"] = f"Token {client.token}"
    data = json.dumps(body) if body is not None else None
    for attempt in (1, 2):
        try:
            client.connection.request(method, path, body=data, headers=headers)
            response = client.connection.getresponse()
            payload = response.read()
            break
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed an idle keep-alive connection between two requests: open a new one once.
            client.reconnect()
            if attempt == 2:
                raise
    parsed = json.loads(payload) if response.getheader("Content-Type", "").startswith("application/json") else None
    return response.status, parsed


class Run:
    """Everything the clients and the sampler saw."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.failures: list[str] = []
        self.publishes: list[dict] = []  # successful publishes that changed the active version
        self.samples = 0
        self.connections_peak = 0  # the server's connections to PostgreSQL, at the busiest sample
        self.sample_violations: list[str] = []

    def record(self, endpoint: str, status: int, seconds: float, detail: str = ""):
        with self.lock:
            self.latencies[endpoint].append(seconds * 1000)
            self.statuses[endpoint][status] += 1
            if not 200 <= status < 300 and len(self.failures) < 20:
                self.failures.append(f"{endpoint}: {status} {detail[:200]}")


def client_loop(run: Run, port: int, tenant: dict, deadline: float, seed: int):
    rng = random.Random(seed)
    client = HttpClient(port, tenant["host"], tenant["token"])
    drafts: list[tuple[str, str]] = []  # (twin, version) this client created
    endpoints, weights = zip(*MIX)
    try:
        while time.monotonic() < deadline:
            endpoint = rng.choices(endpoints, weights)[0]
            twin = rng.choice(tenant["twins"])
            if endpoint == "publish" and not drafts:
                endpoint = "create"
            base = f"/api/twins/{twin}/persona-specs"
            started = time.perf_counter()
            try:
                if endpoint == "chat":
                    status, body = call(client, "POST", f"/api/twins/{twin}/chat", {"message": rng.choice(MESSAGES)})
                elif endpoint == "list_twins":
                    status, body = call(client, "GET", "/api/twins/")
                elif endpoint == "list_versions":
                    status, body = call(client, "GET", base)
                elif endpoint == "create":
                    status, body = call(client, "POST", base, {"spec": EXAMPLE_SPEC, "notes": "load"})
                    if status == 201:
                        drafts.append((twin, body["persona_spec"]["version"]))
                else:
                    twin, version = drafts.pop(rng.randrange(len(drafts)))
                    status, body = call(client, "POST", f"/api/twins/{twin}/persona-specs/{version}/publish", {})
                    if status == 200 and body["action"]:
                        with run.lock:
                            run.publishes.append({"schema": tenant["host"].split(".")[0], "id": body["persona_spec"]["id"],
                                                  "action": body["action"]})
            except (OSError, http.client.HTTPException) as exc:
                status, body = 0, {"detail": repr(exc)}
            run.record(endpoint, status, time.perf_counter() - started, json.dumps(body)[:200] if body else "")
    finally:
        client.connection.close()


def sampler_loop(run: Run, stop: threading.Event):
    """Every quarter second, one statement (one snapshot): how many active versions each twin has."""
    from django.db import connection

    union = " UNION ALL ".join(
        f"SELECT '{schema}', t.id::text, count(s.id) FILTER (WHERE s.status = 'active') "
        f'FROM "{schema}".twins_twin t LEFT JOIN "{schema}".personas_personaspec s ON s.twin_id = t.id GROUP BY t.id'
        for schema in TENANTS)
    try:
        while not stop.is_set():
            with connection.cursor() as cursor:
                cursor.execute(union)
                rows = cursor.fetchall()
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME])
                run.connections_peak = max(run.connections_peak, cursor.fetchone()[0])
            run.samples += 1
            wrong = [f"{schema} twin {twin}: {active} active" for schema, twin, active in rows if active != 1]
            if wrong:
                run.sample_violations.extend(wrong[:5])
            stop.wait(SAMPLE_EVERY_SECONDS)
    except Exception as exc:  # noqa: BLE001 — a sampler that stops checking fails the run, with its reason
        run.sample_violations.append(f"the sampler stopped: {exc!r}")
    finally:
        connection.close()


# --- after the run ---------------------------------------------------------------------------------

def audit_check(run: Run, since) -> dict:
    """Every successful publish has its audit event, and no publish-like event exists without one."""
    from django.db import connection

    events = set()
    with connection.cursor() as cursor:
        for schema in TENANTS:
            cursor.execute(
                f'SELECT persona_spec_id::text, action FROM "{schema}".personas_auditevent '
                "WHERE created_at >= %s AND action IN ('publish', 'republish', 'rollback')", [since])
            events.update((schema, spec_id, action) for spec_id, action in cursor.fetchall())
    published = Counter((p["schema"], p["id"], p["action"]) for p in run.publishes)
    missing = [key for key in published if key not in events]
    unexplained = [key for key in events if key not in published]
    # A version is published at most once here (drafts are popped), so each key counts once on each side.
    return {"successful_publishes": len(run.publishes), "audit_events": len(events), "missing": missing[:10],
            "without_a_publish": unexplained[:10], "ok": not missing and not unexplained
            and all(count == 1 for count in published.values())}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(run: Run, seconds: float) -> dict:
    endpoints = {}
    for endpoint, _ in MIX:
        values = run.latencies.get(endpoint, [])
        endpoints[endpoint] = {
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 1) if values else None,
            "p99_ms": round(percentile(values, 0.99), 1) if values else None,
            "statuses": {str(status): count for status, count in sorted(run.statuses[endpoint].items())},
        }
    total = sum(len(values) for values in run.latencies.values())
    server_errors = sum(count for statuses in run.statuses.values() for status, count in statuses.items()
                        if status >= 500 or status == 0)
    non_2xx = sum(count for statuses in run.statuses.values() for status, count in statuses.items()
                  if not 200 <= status < 300)
    return {"requests": total, "requests_per_second": round(total / seconds, 1), "endpoints": endpoints,
            "server_errors_5xx_or_no_answer": server_errors, "non_2xx": non_2xx}


def main() -> int:
    clients = int(os.environ.get("LOAD_CLIENTS", "50"))
    seconds = float(os.environ.get("LOAD_SECONDS", "60"))
    redis_url = os.environ.get("REDIS_URL", "").strip() or DEFAULT_REDIS_URL
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 — any failure to reach Redis stops the run with its reason
        print(f"Redis is not reachable at {redis_url} ({exc}): start it or set REDIS_URL.", file=sys.stderr)
        return 1

    # This process sets up the tenants and samples the database; only the server runs with DEBUG off,
    # and only the server pools its connections (a pool size given here is the server's).
    server_pool_size = os.environ.pop("DATABASE_POOL_MAX_SIZE", None)
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone as django_timezone

    tenants = fresh_tenants()
    port = free_port()
    env = server_environment(port, redis_url)
    if server_pool_size:
        env["DATABASE_POOL_MAX_SIZE"] = server_pool_size
    server = start_server(env, port)
    database = "DATABASE_URL" if os.environ.get("DATABASE_URL", "").strip() else "embedded"
    print(f"Load: {clients} clients for {seconds:.0f} s on http://127.0.0.1:{port} (gunicorn "
          f"{env.get('WEB_CONCURRENCY', '2')} workers × {env.get('WEB_THREADS', '8')} threads, DEBUG off, "
          f"Redis {redis_url}, {database} PostgreSQL), tenants {', '.join(TENANTS)}")

    run = Run()
    started_at = django_timezone.now()
    stop_sampling = threading.Event()
    sampler = threading.Thread(target=sampler_loop, args=(run, stop_sampling), daemon=True)
    sampler.start()
    deadline = time.monotonic() + seconds
    began = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(run, port, tenants[TENANTS[index % 2]], deadline, index),
                                daemon=True) for index in range(clients)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        elapsed = time.monotonic() - began
    finally:
        stop_sampling.set()
        sampler.join(timeout=10)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    audit = audit_check(run, started_at)
    connection.close()

    result = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "clients": clients, "seconds": round(elapsed, 1), "mix_percent": dict(MIX),
        "server": {"workers": int(env.get("WEB_CONCURRENCY", "2")), "threads": int(env.get("WEB_THREADS", "8")),
                   "debug": False, "cache": "redis", "database": database},
        **summary(run, elapsed),
        "server_connections_peak": run.connections_peak,
        "active_version_samples": run.samples, "active_version_violations": run.sample_violations[:10],
        "audit": audit, "first_failures": run.failures,
    }
    checks = {
        "no 5xx and no unanswered request": result["server_errors_5xx_or_no_answer"] == 0,
        "every answer 2xx": result["non_2xx"] == 0,
        "exactly one active version per twin in every sample": run.samples > 0 and not run.sample_violations,
        "every successful publish has its audit event": audit["ok"],
        "threads finished by the deadline": not any(thread.is_alive() for thread in threads),
        "database connections within workers × threads":
            run.connections_peak <= result["server"]["workers"] * result["server"]["threads"],
    }
    result["checks"] = checks
    result["passed"] = all(checks.values())

    print(f"\n  {'endpoint':<16}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    for endpoint, figures in result["endpoints"].items():
        print(f"  {endpoint:<16}{figures['requests']:>10}{figures['p50_ms'] or 0:>10.1f}{figures['p99_ms'] or 0:>10.1f}"
              f"  {figures['statuses']}")
    print(f"  {result['requests']} requests, {result['requests_per_second']}/s; "
          f"5xx or unanswered: {result['server_errors_5xx_or_no_answer']}; "
          f"server connections to PostgreSQL at most {run.connections_peak}; "
          f"{run.samples} samples of the active versions; {audit['successful_publishes']} publishes, "
          f"{audit['audit_events']} audit events")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    for failure in run.failures[:5]:
        print(f"  first failures: {failure}")
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
