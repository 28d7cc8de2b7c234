"""`make bench-tenants`: BENCH_TENANTS tenants (default 1,000), each with a twin, an active spec and a
few conversations, then what an operator needs to know at that size:

* provisioning time per tenant (schema only: `Tenant.save()`, i.e. the template clone), median and
  p95, the first 100 against the last 100 (does it grow with the number of schemas?), and the time
  to fill each tenant (user, token, twin, spec published, conversations) beside it;
* `migrate_schemas` across all tenants with nothing to apply, with django-tenants' standard and
  multiprocessing executors (separate processes: start-up included);
* p50 of the same request at the first and at the last tenant (target: within 10%), after every
  tenant has been touched;
* the web workers' memory before and after a request and a chat turn on every tenant (every
  per-process cache is a bounded LRU: the growth must stay bounded too).

Tenants are named bt_0000, bt_0001, ... with hosts bt-0000.localhost, ...; earlier ones are dropped
first, and the new ones dropped at the end unless BENCH_TENANTS_KEEP=1. Results are printed and merged
into bench/results.json under "tenants".
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from bench import serving

RESULTS = serving.ROOT / "bench" / "results.json"
PREFIX = "bt_"
P50_TARGET_RATIO = 1.10
CONVERSATIONS = 3


def schema(index: int) -> str:
    return f"{PREFIX}{index:04d}"


def host(index: int) -> str:
    return f"bt-{index:04d}.localhost"


def drop_bench_tenants() -> int:
    from config.models import Tenant

    tenants = list(Tenant.objects.filter(schema_name__startswith=PREFIX))
    for tenant in tenants:
        tenant.delete(force_drop=True)
    return len(tenants)


def fill_tenant(index: int, spec: dict) -> tuple[str, str]:
    """A user with a token, a twin with the example spec active and a few conversations: (token, twin id)."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from api_tokens.services import api_token_create
    from chat.services import chat_turn
    from personas.services import persona_spec_create
    from personas.transitions import persona_spec_publish
    from twins.services import twin_create

    with schema_context(schema(index)):
        owner = get_user_model().objects.create_user(f"owner{index}", password=None)  # no hashing: not measured
        _row, token = api_token_create(user=owner, expires_in=None)
        twin = twin_create(owner=owner, name=f"Twin {index}", settings={"public_intro": f"Twin of tenant {index}."})
        persona_spec_publish(persona_spec=persona_spec_create(twin=twin, actor=owner, spec=spec), actor=owner)
        for number in range(CONVERSATIONS):  # each message without a conversation id starts one
            chat_turn(twin=twin, user=owner, message=f"Should we raise prices? ({number})")
    return token, str(twin.pk)


def provision(count: int) -> tuple[dict, list[tuple[str, str]]]:
    from config.models import Domain, Tenant
    from config.provisioning import tenant_template_refresh

    spec = json.loads((serving.ROOT / "personas" / "fixtures" / "persona_spec_example.json").read_text())
    started = time.perf_counter()
    rebuilt = tenant_template_refresh()
    template_s = time.perf_counter() - started
    schema_s, fill_s, credentials, migrated_s = [], [], [], []
    every = max(1, count // 10)
    for index in range(count):
        if index % every == 0 or index == count - 1:
            migrated_s.append(migrated_schema_seconds(index))
        started = time.perf_counter()
        tenant = Tenant(schema_name=schema(index), name=f"Bench tenant {index}")
        tenant.save(verbosity=0)
        Domain.objects.create(domain=host(index), tenant=tenant, is_primary=True)
        schema_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        credentials.append(fill_tenant(index, spec))
        fill_s.append(time.perf_counter() - started)
        if (index + 1) % 100 == 0:
            print(f"  {index + 1} tenants provisioned, last 100: schema median "
                  f"{statistics.median(schema_s[-100:]):.3f} s", flush=True)
    window = min(100, max(1, count // 5))
    return {
        "tenants": count,
        "template_rebuilt": rebuilt, "template_s": round(template_s, 3),
        "window": window,
        "schema_s": summary(schema_s, window),
        # The path cloning replaced, sampled every tenth of the way: same run, same machine load.
        "migrate_path_schema_s": {"samples": [round(value, 3) for value in migrated_s],
                                  "median": round(statistics.median(migrated_s), 3)},
        "clone_over_migrate_median_ratio": round(statistics.median(schema_s) / statistics.median(migrated_s), 3),
        "fill_s": summary(fill_s, window),
        "target_schema_s_max": 0.6,
    }, credentials


def migrated_schema_seconds(index: int) -> float:
    """Seconds to create a tenant schema by running the migrations (TENANT_PROVISIONING=migrate)."""
    from django.test.utils import override_settings

    from config.models import Tenant

    tenant = Tenant(schema_name=f"{PREFIX}migrated_{index:04d}", name="Bench tenant, migrated")
    started = time.perf_counter()
    with override_settings(TENANT_PROVISIONING="migrate"):
        tenant.save(verbosity=0)
    elapsed = time.perf_counter() - started
    tenant.delete(force_drop=True)
    return elapsed


def summary(values: list[float], window: int) -> dict:
    def stats(part):
        return {"median": round(statistics.median(part), 4),
                "p95": round(statistics.quantiles(part, n=20)[18], 4) if len(part) >= 2 else round(part[0], 4)}
    return {"all": stats(values), "first": stats(values[:window]), "last": stats(values[-window:])}


def migrate_all() -> dict:
    """migrate_schemas over every tenant with nothing to apply, per executor, as an operator runs it."""
    timings = {}
    for executor in ("standard", "multiprocessing"):
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "migrate_schemas", "--tenant", "--noinput", "-v", "0",
                        f"--executor={executor}"], cwd=serving.ROOT, check=True)
        timings[executor] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "check"], cwd=serving.ROOT, check=True, capture_output=True)
    timings["process_start_up (manage.py check)"] = round(time.perf_counter() - started, 2)
    return timings


def get(connection, path: str, hostname: str, token: str, body: dict | None = None) -> float:
    started = time.perf_counter()
    headers = {"Host": hostname, "Authorization": f"Token {token}", "Content-Type": "application/json"}
    connection.request("POST" if body else "GET", path, body=json.dumps(body) if body else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path} at {hostname}: {response.status} {data[:200]!r}")
    return (time.perf_counter() - started) * 1000


def serve_every_tenant(credentials: list[tuple[str, str]], rounds: int) -> dict:
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    threads = int(os.environ.get("WEB_THREADS", "8"))
    extra = {"CACHE_KEY_PREFIX": f"bench-tenants-{os.getpid()}"} if os.environ.get("REDIS_URL") else {}
    port = serving.free_port()
    server = serving.start_gunicorn(port, serving.server_env(".localhost", **extra), workers=workers,
                                    threads=threads, host=host(0))
    last = len(credentials) - 1
    try:
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for index in (0, last):
            token, twin = credentials[index]
            for _ in range(20):
                get(warm, f"/api/twins/{twin}/persona-specs/active", host(index), token)
        warm.close()
        before = {pid: serving.rss_mib(pid) for pid in serving.worker_pids(server)}

        # Every tenant: its active spec and a chat turn, from four clients at once.
        started = time.perf_counter()
        indexes = iter(range(len(credentials)))
        lock = threading.Lock()

        def toucher():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while True:
                with lock:
                    index = next(indexes, None)
                if index is None:
                    break
                token, twin = credentials[index]
                get(connection, f"/api/twins/{twin}/persona-specs/active", host(index), token)
                get(connection, f"/api/twins/{twin}/chat", host(index), token, {"message": "One more question?"})
            connection.close()

        clients = [threading.Thread(target=toucher) for _ in range(4)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        touch_s = time.perf_counter() - started
        after = {pid: serving.rss_mib(pid) for pid in serving.worker_pids(server)}

        # The same request at the first and the last tenant, alternating, one at a time.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        timings = {"first": [], "last": []}
        for round_ in range(rounds):
            order = [("first", 0), ("last", last)]
            for label, index in (order if round_ % 2 == 0 else reversed(order)):
                token, twin = credentials[index]
                timings[label].append(get(connection, f"/api/twins/{twin}/persona-specs/active", host(index), token))
        connection.close()
    finally:
        serving.stop(server)
    first, last_p50 = statistics.median(timings["first"]), statistics.median(timings["last"])
    return {
        "workers": workers, "threads": threads,
        "cache": "redis" if os.environ.get("REDIS_URL") else "locmem (per process)",
        "touch_every_tenant_s": round(touch_s, 1),
        "worker_rss_mib_before": {str(pid): round(value, 1) for pid, value in before.items()},
        "worker_rss_mib_after": {str(pid): round(after.get(pid, 0.0), 1) for pid in before},
        "worker_rss_growth_mib_max": round(max((after.get(pid, 0.0) - value for pid, value in before.items()),
                                               default=0.0), 1),
        "request": "GET /api/twins/{id}/persona-specs/active",
        "requests_per_tenant": rounds,
        "p50_ms": {"first_tenant": round(first, 3), "last_tenant": round(last_p50, 3)},
        "ratio_last_over_first": round(last_p50 / first, 3),
        "target_ratio_max": P50_TARGET_RATIO,
        "meets_target": last_p50 <= first * P50_TARGET_RATIO,
    }


def compiled_cache_sizes() -> dict:
    """Bytes one twin's cached compiled spec takes pickled (what django-redis stores per active twin)."""
    import pickle

    from personas.compiler import precompile
    from personas.selectors import CompiledPersona

    sizes = {}
    for name in ("persona_spec_example.json", "persona_spec_max.json"):
        spec = json.loads((serving.ROOT / "personas" / "fixtures" / name).read_text())
        sizes[name] = len(pickle.dumps(CompiledPersona(precompile(spec), spec), protocol=pickle.HIGHEST_PROTOCOL))
    return sizes


def run(count: int) -> dict:
    started = time.perf_counter()
    dropped = drop_bench_tenants()
    print(f"  dropped {dropped} earlier bench tenants in {time.perf_counter() - started:.1f} s", flush=True)
    provisioning, credentials = provision(count)
    result = {"provisioning": provisioning}
    result["migrate_schemas_s"] = migrate_all()
    result["serving"] = serve_every_tenant(credentials, int(os.environ.get("BENCH_TENANT_ROUNDS", "200")))
    result["compiled_spec_pickled_bytes"] = compiled_cache_sizes()
    if os.environ.get("BENCH_TENANTS_KEEP") != "1":
        drop_bench_tenants()
    return result


def print_table(result: dict) -> None:
    provisioning = result["provisioning"]
    window = provisioning["window"]
    print(f"\n{provisioning['tenants']} tenants (template {'rebuilt' if provisioning['template_rebuilt'] else 'current'}"
          f" in {provisioning['template_s']:.2f} s)")
    print(f"  {'per tenant, seconds':<32}{'median':>8}{'p95':>8}{f'first {window}':>12}{f'last {window}':>12}")
    for label, key in (("schema (clone of the template)", "schema_s"), ("fill (user, twin, spec, chats)", "fill_s")):
        row = provisioning[key]
        print(f"  {label:<32}{row['all']['median']:>8.3f}{row['all']['p95']:>8.3f}"
              f"{row['first']['median']:>12.3f}{row['last']['median']:>12.3f}")
    migrated = provisioning["migrate_path_schema_s"]
    print(f"  {'schema by migrations (sampled)':<32}{migrated['median']:>8.3f}{'':>8}"
          f"{migrated['samples'][0]:>12.3f}{migrated['samples'][-1]:>12.3f}"
          f"   clone/migrate {provisioning['clone_over_migrate_median_ratio']:.2f}")
    print(f"  schema median target ≤ {provisioning['target_schema_s_max']} s: "
          + ("meets" if provisioning["schema_s"]["all"]["median"] <= provisioning["target_schema_s_max"] else "MISSES"))
    print("  migrate_schemas, all tenants, nothing to apply: "
          + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["migrate_schemas_s"].items()))
    serving_ = result["serving"]
    print(f"  request p50, same request: first tenant {serving_['p50_ms']['first_tenant']:.2f} ms, last "
          f"{serving_['p50_ms']['last_tenant']:.2f} ms, ratio {serving_['ratio_last_over_first']:.3f} "
          f"({'meets' if serving_['meets_target'] else 'MISSES'} the ≤ {P50_TARGET_RATIO:.2f} target)")
    print(f"  web workers' RSS before/after touching every tenant (MiB): {serving_['worker_rss_mib_before']} → "
          f"{serving_['worker_rss_mib_after']} (growth at most {serving_['worker_rss_growth_mib_max']} MiB; "
          f"touching took {serving_['touch_every_tenant_s']} s)")
    print("  cached compiled spec per active twin, pickled: "
          + ", ".join(f"{name} {size / 1024:.1f} KiB" for name, size in result["compiled_spec_pickled_bytes"].items()))


def main() -> None:
    from bench import chat_bench

    chat_bench.setup_django()
    count = int(os.environ.get("BENCH_TENANTS", "1000"))
    result = run(count)
    print_table(result)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["tenants"] = result
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nmerged into {RESULTS}")


if __name__ == "__main__":
    main()
