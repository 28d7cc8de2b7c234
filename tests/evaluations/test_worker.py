"""A run through the real queue: deferred on commit into procrastinate's public tables, executed by a real
worker in its tenant's schema, which it leaves afterwards; another tenant's run stays its own."""

from __future__ import annotations

import json
import uuid

from django.db import connection
from django_tenants.utils import schema_context

from evaluations.models import EvalRun
from evaluations.services import eval_case_create, eval_run_request
from personas.services import persona_spec_create
from tests.evaluations.worker import run_worker_until_idle
from tests.factories import demo_admin
from tests.personas.builders import example_spec, new_twin


def queued_run(tenant, schema):
    owner = demo_admin(tenant)
    with schema_context(schema):
        twin = new_twin(owner, f"Worker twin {uuid.uuid4().hex[:8]}")
        draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec())
        eval_case_create(twin=twin, actor=owner, data={"name": "pilot", "message": "Should we offer a free pilot?"})
        return eval_run_request(persona_spec=draft, actor=owner).run  # committed: the job is deferred now


def test_a_real_worker_runs_queued_evaluations_of_two_tenants_each_in_its_schema(committed_db):
    from config.models import Tenant

    acme, globex = Tenant.objects.get(schema_name="acme"), Tenant.objects.get(schema_name="globex")
    acme_run, globex_run = queued_run(acme, "acme"), queued_run(globex, "globex")
    with connection.cursor() as cursor:
        cursor.execute("SELECT args FROM public.procrastinate_jobs WHERE task_name = 'evaluations.run' "
                       "AND status = 'todo'")
        queued = [json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in cursor.fetchall()]
    assert {"schema_name": "acme", "run_id": str(acme_run.pk)} in queued
    assert {"schema_name": "globex", "run_id": str(globex_run.pk)} in queued

    run_worker_until_idle()

    with schema_context("acme"):
        finished = EvalRun.objects.get(pk=acme_run.pk)
        assert finished.status in ("passed", "failed") and finished.results.count() == finished.progress_total
        assert not EvalRun.objects.filter(pk=globex_run.pk).exists()  # globex's run is not in acme's schema
    with schema_context("globex"):
        assert EvalRun.objects.get(pk=globex_run.pk).status in ("passed", "failed")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM public.procrastinate_jobs WHERE args->>'run_id' IN (%s, %s) "
                       "AND status = 'succeeded'", [str(acme_run.pk), str(globex_run.pk)])
        assert cursor.fetchone()[0] == 2


def test_health_reports_the_queue(committed_db, client):
    response = client.get("/health", HTTP_HOST="localhost")
    worker = response.json()["worker"]
    assert set(worker) == {"alive", "workers", "queue_depth", "running"} and worker["queue_depth"] >= 0


def test_the_job_queue_is_shown_on_the_public_host_only(acme):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.personas.admin_support import admin_client

    tenant = admin_client(acme, demo_admin(acme))  # a superuser of the tenant
    assert "/admin/procrastinate/" not in tenant.get("/admin/").content.decode()
    assert tenant.get("/admin/procrastinate/procrastinatejob/").status_code == 403
    public = Client(HTTP_HOST="localhost")
    with schema_context("public"):  # the tenant client's request left the connection in acme's schema
        public.force_login(get_user_model().objects.get(username="admin"))
    assert public.get("/admin/procrastinate/procrastinatejob/").status_code == 200
