"""Requests per second through the production worker layout, each endpoint as a ratio to a bare one.

gunicorn with gthread workers (bench/serving.py), DEBUG off, offline provider, Redis for the cache
when REDIS_URL is set. Loopback clients: BENCH_CLIENTS threads, each on its own keep-alive
connection, send one endpoint's request back to back for BENCH_THROUGHPUT_SECONDS in total, in
alternating slices so that drift on a shared machine hits every endpoint alike. The clients share the
machine's cores with the server, so absolute figures understate a real deployment; the ratios are
what to compare (targets: reads ≥ 0.8 of the bare endpoint, a chat turn ≥ 0.5).

The bare authenticated endpoint is `GET /api/publish-policy`: token authentication, tenant routing
and one small read, the floor every API request pays. The reads and the chat turn use a twin whose
active version is the example spec (personas/fixtures/persona_spec_example.json, 3.9 KB): a typical
spec, so the ratios measure the service rather than the JSON encoding of the 60 KB maximum one.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time

from bench import serving

HOST = "bench.localhost"
SLICES = 3
READ_TARGET = 0.8
CHAT_TARGET = 0.5


def endpoints(spec_twin: str, version: str) -> dict[str, tuple[str, str, dict | None]]:
    base = f"/api/twins/{spec_twin}/persona-specs"
    return {
        "bare (publish-policy)": ("GET", "/api/publish-policy", None),
        "GET active": ("GET", f"{base}/active", None),
        "list": ("GET", base, None),
        "retrieve": ("GET", f"{base}/{version}", None),
        "chat turn (offline)": ("POST", f"/api/twins/{spec_twin}/chat", {"message": "Should we raise prices?"}),
    }


def hammer(port: int, token: str, request: tuple, seconds: float, clients: int) -> list[float]:
    """Latencies (ms) of every request `clients` threads completed in `seconds`."""
    method, path, body = request
    payload = json.dumps(body) if body is not None else None
    headers = {"Host": HOST, "Authorization": f"Token {token}", "Content-Type": "application/json"}
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if response.status >= 300:
                failures.append(f"{response.status} {data[:200]!r}")
                break
            mine.append((time.perf_counter() - started) * 1000)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{method} {path} failed: {failures[0]}")
    return latencies


def typical_twin(owner_id: int) -> str:
    """A twin in the bench tenant with the example spec active; its id."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from personas.services import persona_spec_create
    from personas.transitions import persona_spec_publish
    from twins.services import twin_create

    spec = json.loads((serving.ROOT / "personas" / "fixtures" / "persona_spec_example.json").read_text())
    with schema_context("bench"):
        owner = get_user_model().objects.get(pk=owner_id)
        twin = twin_create(owner=owner, name="Typical spec twin", settings={"public_intro": "hi"})
        persona_spec_publish(persona_spec=persona_spec_create(twin=twin, actor=owner, spec=spec), actor=owner)
    return str(twin.pk)


def run(token: str, spec_twin: str) -> dict:
    seconds = float(os.environ.get("BENCH_THROUGHPUT_SECONDS", "6"))
    clients = int(os.environ.get("BENCH_CLIENTS", "8"))
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    threads = int(os.environ.get("WEB_THREADS", "8"))
    extra = {"CACHE_KEY_PREFIX": f"bench-{os.getpid()}"} if os.environ.get("REDIS_URL") else {}
    port = serving.free_port()
    server = serving.start_gunicorn(port, serving.server_env(HOST, **extra), workers=workers, threads=threads, host=HOST)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/api/twins/{spec_twin}/persona-specs/active",
                       headers={"Host": HOST, "Authorization": f"Token {token}"})
    version = json.loads(connection.getresponse().read())["spec"]["version"]
    connection.close()
    requests = endpoints(spec_twin, version)
    samples: dict[str, list[float]] = {label: [] for label in requests}
    elapsed: dict[str, float] = dict.fromkeys(requests, 0.0)
    try:
        for label, request in requests.items():  # warm every worker's caches and connections
            hammer(port, token, request, 0.5, clients)
        for _ in range(SLICES):
            for label, request in requests.items():
                started = time.perf_counter()
                samples[label] += hammer(port, token, request, seconds / SLICES, clients)
                elapsed[label] += time.perf_counter() - started
    finally:
        serving.stop(server)
    rps = {label: len(samples[label]) / elapsed[label] for label in requests}
    bare = rps["bare (publish-policy)"]
    rows = {}
    for label, values in samples.items():
        ratio = rps[label] / bare
        target = None if label.startswith("bare") else (CHAT_TARGET if label.startswith("chat") else READ_TARGET)
        rows[label] = {
            "requests": len(values), "rps": round(rps[label], 1), "ratio_to_bare": round(ratio, 3),
            "p50_ms": round(statistics.median(values), 2),
            "p99_ms": round(statistics.quantiles(values, n=100)[98], 2),
            "target_ratio_min": target, "meets_target": None if target is None else ratio >= target,
        }
    return {
        "server": {"command": " ".join(serving.gunicorn_command(port, workers, threads)[2:]),
                   "workers": workers, "threads": threads,
                   "cache": "redis" if os.environ.get("REDIS_URL") else "locmem (per process)",
                   "config_file": serving.GUNICORN_CONF.exists()},
        "clients": clients, "seconds_per_endpoint": seconds, "endpoints": rows,
    }


def print_table(result: dict) -> None:
    server = result["server"]
    print(f"\nThroughput (gunicorn gthread {server['workers']}×{server['threads']}, cache {server['cache']}, "
          f"{result['clients']} loopback clients, {result['seconds_per_endpoint']:.0f} s per endpoint)")
    print(f"  {'endpoint':<24}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}  target")
    for label, row in result["endpoints"].items():
        target = "" if row["target_ratio_min"] is None else (
            f"≥ {row['target_ratio_min']:.1f} " + ("meets" if row["meets_target"] else "MISSES"))
        print(f"  {label:<24}{row['rps']:>9.1f}{row['ratio_to_bare']:>8.3f}{row['p50_ms']:>9.2f}"
              f"{row['p99_ms']:>9.2f}  {target}")


if __name__ == "__main__":
    from bench import chat_bench

    chat_bench.setup_django()
    token, _, _, owner_id = chat_bench.fresh_bench_tenant()
    print_table(run(token, typical_twin(owner_id)))
