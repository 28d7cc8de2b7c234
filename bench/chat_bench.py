"""Whole chat requests over HTTP, and SQL queries per endpoint, against a fresh `bench` tenant.

* chat latency: a real gunicorn server (one sync worker, offline provider, messages stored) takes
  alternating chat requests for a twin with the max-size spec active and a twin on the legacy path;
  medians of each and their ratio (target: spec within 10% of legacy);
* queries: each persona-spec endpoint and the chat endpoint, counted in-process on a twin with 10
  and a twin with 1,000 stored versions (must be equal).

Needs the database migrated (`make bench` does it). The bench tenant is dropped and recreated on
every run so the figures never depend on an earlier run.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
HOST = "bench.localhost"
MAX_SPEC = ROOT / "personas" / "fixtures" / "persona_spec_max.json"
CHAT_MESSAGES = [
    "Should we change our pricing strategy before the next round?",
    "What was our runway at the end of Q2?",
    "Summarize the hiring plans in three bullets.",
    "I disagree with your view on pricing.",
    "Can you give me tax advice on my options?",
    "Are you an AI?",
    "Send the investor update to the board.",
    "Thoughts?",
]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The bench process itself drives the embedded database like `make run` (development settings);
    # the server it measures runs with DEBUG off (start_server).
    os.environ.setdefault("DEBUG", "true")
    django.setup()


def fresh_bench_tenant():
    """Drop and recreate the bench tenant; return (token, spec twin id, legacy twin id, owner id)."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from api_tokens.services import api_token_create
    from config.models import Domain, Tenant
    from personas.services import persona_spec_create
    from personas.transitions import persona_spec_publish
    from twins.services import twin_create

    existing = Tenant.objects.filter(schema_name="bench").first()
    if existing is not None:
        existing.delete(force_drop=True)
    tenant = Tenant(schema_name="bench", name="Benchmarks")
    tenant.save(verbosity=0)  # creates and migrates the schema, quietly
    Domain.objects.create(domain=HOST, tenant=tenant, is_primary=True)
    with schema_context("bench"):
        owner = get_user_model().objects.create_user("bench", password="bench-password-1")
        _row, token = api_token_create(user=owner, expires_in=None)
        legacy_settings = {
            "persona_profile": "Direct, warm operator-investor who uses concrete numbers.",
            "signature_phrases": ["Start with the constraint.", "What would have to be true?"],
            "opinion_map": {"pricing": "Charge from day one.", "hiring": "Hire slow for judgment roles."},
            "public_intro": "I'm the bench twin.",
        }
        spec_twin = twin_create(owner=owner, name="Spec twin", settings=legacy_settings)
        legacy_twin = twin_create(owner=owner, name="Legacy twin", settings=legacy_settings)
        draft = persona_spec_create(twin=spec_twin, actor=owner, spec=json.loads(MAX_SPEC.read_text()))
        persona_spec_publish(persona_spec=draft, actor=owner)
    return token, str(spec_twin.pk), str(legacy_twin.pk), owner.pk


# --- HTTP latency --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "LLM_PROVIDER": "offline", "CHAT_THROTTLE_RATE": "", "DEBUG": "false",
           "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50), "LOG_LEVEL": "WARNING",
           "ALLOW_EMBEDDED_DATABASE": "true",
           "ALLOWED_HOSTS": f"{HOST},localhost,127.0.0.1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "GET", "/health")
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the benchmark server did not start")


def request(port: int, method: str, path: str, body: dict | None = None, token: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": HOST, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def chat_latency(token: str, spec_twin: str, legacy_twin: str, rounds: int) -> dict:
    port = free_port()
    server = start_server(port)
    try:
        timings = {"persona_spec": [], "legacy": []}
        trace_sources = {}
        for index in range(rounds + 20):  # the first 20 rounds warm caches and connections
            message = CHAT_MESSAGES[index % len(CHAT_MESSAGES)]
            # Alternate which path goes first, so drift on a shared machine hits both equally.
            order = [("persona_spec", spec_twin), ("legacy", legacy_twin)]
            for label, twin_id in (order if index % 2 == 0 else reversed(order)):
                started = time.perf_counter_ns()
                status, data = request(port, "POST", f"/api/twins/{twin_id}/chat", {"message": message}, token)
                elapsed_ms = (time.perf_counter_ns() - started) / 1e6
                if status != 200:
                    raise RuntimeError(f"chat request failed: {status} {data[:200]!r}")
                trace_sources[label] = json.loads(data)["trace"]["prompt_source"]
                if index >= 20:
                    timings[label].append(elapsed_ms)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert trace_sources == {"persona_spec": "persona_spec", "legacy": "legacy"}, trace_sources
    spec_median = statistics.median(timings["persona_spec"])
    legacy_median = statistics.median(timings["legacy"])
    return {
        "requests_per_path": rounds,
        "median_ms": {"persona_spec": round(spec_median, 3), "legacy": round(legacy_median, 3)},
        "p95_ms": {label: round(statistics.quantiles(values, n=20)[18], 3) for label, values in timings.items()},
        "ratio_spec_over_legacy": round(spec_median / legacy_median, 3),
        "target_ratio_max": 1.10,
        "meets_target": spec_median <= legacy_median * 1.10,
    }


# --- queries per endpoint ------------------------------------------------------------------------

# Issue #13's targets (tests/test_statement_counts.py holds them too).
STATEMENT_TARGETS = {"create": 8, "publish": 10, "chat (warm cache)": 4}


def query_counts(token: str, owner_id: int) -> dict:
    """SQL statements per request (django-tenants' SET search_path excluded), for 10 and 1,000 versions."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from personas.models import PersonaSpec
    from personas.selectors import clear_local_compiled_cache
    from personas.spec import spec_hash
    from twins.services import twin_create

    example = json.loads((ROOT / "personas" / "fixtures" / "persona_spec_example.json").read_text())
    twins = {}
    with schema_context("bench"):
        from django.contrib.auth import get_user_model

        owner = get_user_model().objects.get(pk=owner_id)
        for count in (10, 1000):
            twin = twin_create(owner=owner, name=f"{count} versions", settings={"public_intro": "hi"})
            rows = []
            for patch in range(count):
                spec = {**example, "version": f"1.0.{patch}"}
                rows.append(PersonaSpec(twin=twin, version=f"1.0.{patch}", version_major=1, version_minor=0,
                                        version_patch=patch, spec=spec, spec_hash=spec_hash(spec),
                                        status="archived" if patch < count - 1 else "active", created_by=owner))
            PersonaSpec.objects.bulk_create(rows, batch_size=500)
            twins[count] = str(twin.pk)

    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Token {token}")

    def count(method: str, path: str, body: dict | None = None) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, data=json.dumps(body) if body is not None else None,
                                               content_type="application/json")
        assert response.status_code < 300, (path, response.status_code, response.content[:300])
        return len([q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")])

    def cold_chat(twin_id: str) -> int:
        cache.clear()
        clear_local_compiled_cache()
        return count("post", f"/api/twins/{twin_id}/chat", {"message": "Should we raise?"})

    results = {}
    for versions, twin_id in twins.items():
        base = f"/api/twins/{twin_id}/persona-specs"
        cache.clear()
        client.get("/api/twins/")  # routes the host (cached per host, as on a worker that has served it)
        results[versions] = {
            "list": count("get", base),
            "active": count("get", f"{base}/active"),
            "retrieve": count("get", f"{base}/1.0.5"),
            "create": count("post", base, {"spec": example}),
            "generate": count("post", f"{base}/generate", {}),
            "publish": count("post", f"{base}/1.0.3/publish"),
            "chat (cold cache)": cold_chat(twin_id),
            "chat (warm cache)": count("post", f"/api/twins/{twin_id}/chat", {"message": "Should we raise?"}),
        }
    return {"queries_per_request": results, "equal_for_10_and_1000_versions": results[10] == results[1000],
            "statement_targets": STATEMENT_TARGETS,
            "meets_statement_targets": all(max(results[10][name], results[1000][name]) <= target
                                           for name, target in STATEMENT_TARGETS.items())}
