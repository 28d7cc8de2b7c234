"""Evaluation runs executed through the real runtime: the offline provider, an OpenAI-compatible server
over real HTTP (a failing endpoint, bounded concurrency, the time limit), regressions, deduplication."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from evaluations.models import EvalCase, EvalRun
from evaluations.runner import execute_run
from evaluations.services import eval_case_create, eval_run_request
from personas.prompting import preview_system_prompt
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import api_client, demo_admin
from tests.personas.builders import example_spec

PILOT = {"name": "pilot", "message": "Should we offer a free pilot to our first customer?",
         "expected_intent": "advice_or_stance", "expect": {"must_include_any": ["pilot"]}}


def version(twin, owner, *, examples: bool = True, **changes):
    spec = example_spec(**changes)
    if not examples:  # only the written cases run
        spec["canonical_examples"] = []
        for module in spec["procedural_modules"]:
            module["few_shot_ids"] = []
    return persona_spec_create(twin=twin, actor=owner, spec=spec)


def run_now(persona_spec, owner) -> EvalRun:
    requested = eval_run_request(persona_spec=persona_spec, actor=owner)
    return execute_run(requested.run.pk)


def test_a_run_with_the_offline_provider_covers_written_cases_and_the_version_examples(in_acme, eval_twin, eval_owner):
    draft = version(eval_twin, eval_owner)
    eval_case_create(twin=eval_twin, actor=eval_owner, data=PILOT)
    eval_case_create(twin=eval_twin, actor=eval_owner, data={**PILOT, "name": "inactive", "active": False})
    run = run_now(draft, eval_owner)
    examples = draft.spec["canonical_examples"]
    assert run.status in ("passed", "failed") and run.finished_at is not None
    assert (run.provider, run.progress_done, run.progress_total) == ("offline", 1 + len(examples), 1 + len(examples))
    results = list(run.results.order_by("position"))
    assert [r.source for r in results] == ["case"] + ["spec_example"] * len(examples)
    assert results[1].case_key == f"spec_example:{examples[0]['id']}" and results[1].message == examples[0]["prompt"]
    pilot = results[0]
    assert pilot.intent_label == "advice_or_stance" and pilot.reply
    # The prompt of a case is the one chat would send for that message with this version active.
    assert pilot.prompt_fingerprint == preview_system_prompt(draft, message=PILOT["message"]).fingerprint
    assert {check["name"] for check in pilot.checks} >= {"intent", "must_include_any", "banned_phrases"}
    summary = run.summary
    assert summary["cases"] == len(results) and summary["passed"] + summary["failed"] == summary["cases"]
    assert summary["pass_rate"] == round(summary["passed"] / summary["cases"], 4)


def test_a_run_over_http_with_a_failing_endpoint_marks_the_case_not_the_run(in_acme, eval_twin, eval_owner,
                                                                           model_provider, settings):
    draft = version(eval_twin, eval_owner, examples=False)
    settings.EVAL_CONCURRENCY = 3
    for index in range(9):
        eval_case_create(twin=eval_twin, actor=eval_owner, data={
            "name": f"case {index}", "message": f"Question {index}: should we raise a seed round?",
            "expect": {"must_include_any": ["seed"]}})
    eval_case_create(twin=eval_twin, actor=eval_owner, data={"name": "broken", "message": "BREAK the endpoint"})

    def answer(message):
        return None if "BREAK" in message else f"On the seed round: {message[:20]}"

    with model_provider(answer, delay_s=0.2) as log:
        started = time.monotonic()
        run = run_now(draft, eval_owner)
        elapsed = time.monotonic() - started
    assert (run.provider, run.model) == ("openai", "test-model")
    assert run.status == "failed" and run.summary["cases"] == 10 and run.summary["passed"] == 9
    broken = run.results.get(name="broken")
    assert not broken.passed and broken.checks[0]["name"] == "provider" and "http_status" in broken.error
    assert log.max_in_flight == 3  # bounded by EVAL_CONCURRENCY, and really concurrent
    assert elapsed < 10 * 0.2  # faster than one call after another (the failing case is retried once)
    assert all(request["system"].startswith("You are Maya, the digital twin of") for request in log.requests)


def test_the_time_limit_records_unanswered_cases_and_makes_the_run_an_error(in_acme, eval_twin, eval_owner,
                                                                           model_provider, settings):
    draft = version(eval_twin, eval_owner, examples=False)
    settings.EVAL_CONCURRENCY, settings.EVAL_RUN_TIME_LIMIT_SECONDS = 1, 0.5
    for index in range(3):
        eval_case_create(twin=eval_twin, actor=eval_owner, data={"name": f"slow {index}", "message": "Slow?"})
    with model_provider(lambda message: "Slowly.", delay_s=0.4):
        run = run_now(draft, eval_owner)
    assert run.status == "error" and "time limit" in run.error
    assert run.results.count() == 3 and run.results.filter(error="time limit").exists()


def test_regressions_are_cases_that_passed_for_the_active_version_and_fail_now(in_acme, eval_twin, eval_owner,
                                                                              model_provider):
    live = version(eval_twin, eval_owner, examples=False)
    persona_spec_publish(persona_spec=live, actor=eval_owner)
    eval_case_create(twin=eval_twin, actor=eval_owner, data={
        "name": "mentions pricing", "message": "What about pricing?", "expect": {"must_include_any": ["price"]}})
    candidate = version(eval_twin, eval_owner, examples=False, constitution=["Never talk about money."])

    with model_provider(lambda message: "The price is fair."):
        baseline = run_now(live, eval_owner)
    assert baseline.status == "passed"
    with model_provider(lambda message: "We never discuss it."):  # how the candidate makes the model answer
        run = run_now(candidate, eval_owner)
    case_id = str(EvalCase.objects.get(twin=eval_twin).pk)
    assert run.summary["regressions"] == [case_id] and run.summary["baseline_run_id"] == str(baseline.pk)


def test_asking_twice_returns_the_same_run_and_the_size_is_capped(in_acme, eval_twin, eval_owner, settings):
    draft = version(eval_twin, eval_owner)
    first = eval_run_request(persona_spec=draft, actor=eval_owner)
    second = eval_run_request(persona_spec=draft, actor=eval_owner)
    assert first.created and not second.created and first.run.pk == second.run.pk
    settings.EVAL_MAX_CASES_PER_RUN = 1
    other = version(eval_twin, eval_owner)
    with pytest.raises(Exception, match="limited to 1"):
        eval_run_request(persona_spec=other, actor=eval_owner)


def test_the_runs_api_and_a_run_no_worker_picked_up(acme, globex, eval_client, eval_twin, eval_owner, settings):
    with schema_context("acme"):
        draft = version(eval_twin, eval_owner)
    url = f"/api/twins/{eval_twin.pk}/persona-specs/{draft.version}/evaluations"
    queued = eval_client.post(url)
    assert queued.status_code == 202 and queued.json()["status"] == "queued" and queued.json()["note"] is None
    assert eval_client.post(url).json()["id"] == queued.json()["id"]
    run_id = queued.json()["id"]
    with schema_context("acme"):
        EvalRun.objects.filter(pk=run_id).update(created_at=EvalRun.objects.get(pk=run_id).created_at
                                                 - timedelta(minutes=2))
    detail = eval_client.get(f"/api/twins/{eval_twin.pk}/evaluations/{run_id}").json()
    assert "No worker has picked this run up" in detail["note"] and detail["results"] == []
    assert eval_client.get(url).json()["results"][0]["id"] == run_id
    with schema_context("acme"):
        execute_run(run_id)
    finished = eval_client.get(f"/api/twins/{eval_twin.pk}/evaluations/{run_id}").json()
    assert finished["status"] in ("passed", "failed") and finished["progress"]["done"] == len(finished["results"])
    assert set(finished["results"][0]) == {"case_id", "source", "name", "message", "intent_label", "reply",
                                           "prompt_fingerprint", "compliance", "checks", "passed", "latency_ms", "error"}
    globex_admin = api_client(globex, demo_admin(globex))
    assert globex_admin.get(f"/api/twins/{eval_twin.pk}/evaluations/{run_id}").status_code == 404
    assert globex_admin.post(url).status_code == 404
    assert eval_client.get(f"/api/twins/{eval_twin.pk}/evaluations/not-a-uuid").status_code == 404


def test_a_run_that_lost_its_worker_does_not_block_a_new_one(in_acme, eval_twin, eval_owner, settings):
    draft = version(eval_twin, eval_owner)
    stuck = eval_run_request(persona_spec=draft, actor=eval_owner).run
    EvalRun.objects.filter(pk=stuck.pk).update(status="running", started_at=stuck.created_at - timedelta(hours=1))
    fresh = eval_run_request(persona_spec=draft, actor=eval_owner)
    assert fresh.created and fresh.run.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.status == "error" and "worker stopped" in stuck.error


# --- cancelling -------------------------------------------------------------------------------------

def test_a_cancelled_queued_run_is_never_started_and_never_passes_the_gate(in_acme, eval_twin, eval_owner):
    from evaluations.selectors import latest_finished_run
    from evaluations.services import eval_run_cancel

    draft = version(eval_twin, eval_owner)
    queued = eval_run_request(persona_spec=draft, actor=eval_owner).run
    cancelled = eval_run_cancel(run=queued, actor=eval_owner)
    assert (cancelled.status, cancelled.error) == ("cancelled", "Cancelled by eval-owner.")
    assert cancelled.finished_at is not None
    after_job = execute_run(queued.pk)  # the job the request queued runs later, and finds it finished
    assert after_job.status == "cancelled" and after_job.results.count() == 0 and after_job.started_at is None
    assert latest_finished_run(draft) is None
    fresh = eval_run_request(persona_spec=draft, actor=eval_owner)
    assert fresh.created and fresh.run.pk != queued.pk  # a cancelled run does not stand in for a new one


def test_cancelling_a_running_run_stops_it_within_a_second_and_keeps_what_it_recorded(
        committed_db, model_provider, settings):
    """The run executes in a thread with its own connection, as a worker would, and the cancellation
    comes from this thread's connection, as an API request would: rows are committed (unique twin)."""
    import threading
    import uuid

    from config.models import Tenant
    from evaluations.services import eval_run_cancel
    from tests.personas.builders import new_twin

    owner = demo_admin(Tenant.objects.get(schema_name="acme"))
    settings.EVAL_CONCURRENCY = 1
    with schema_context("acme"):
        twin = new_twin(owner, f"Cancelled run twin {uuid.uuid4().hex[:8]}")
        draft = version(twin, owner, examples=False)
        for index in range(8):
            eval_case_create(twin=twin, actor=owner, data={"name": f"slow {index}", "message": "Slow?"})
        run = eval_run_request(persona_spec=draft, actor=owner).run
    finished: list[EvalRun] = []
    with model_provider(lambda message: "Slowly.", delay_s=0.3):
        worker = threading.Thread(target=lambda: finished.append(_in_acme(execute_run, run.pk)))
        worker.start()
        with schema_context("acme"):
            deadline = time.monotonic() + 10
            while EvalRun.objects.get(pk=run.pk).progress_done < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            cancelled_at = time.monotonic()
            eval_run_cancel(run=run, actor=owner)
        worker.join(timeout=10)
        stopped_after = time.monotonic() - cancelled_at
    assert not worker.is_alive() and stopped_after < 2.0
    [result] = finished
    assert result.status == "cancelled" and result.error == f"Cancelled by {owner.username}."
    with schema_context("acme"):
        recorded = result.results.count()
        assert 1 <= recorded < 8 and result.summary == {}
        time.sleep(0.5)  # a call in flight when it stopped ends unrecorded; the status stays
        assert EvalRun.objects.get(pk=run.pk).status == "cancelled"
        assert result.results.count() == recorded


def test_the_cancel_endpoint(acme, globex, eval_client, eval_twin, eval_owner):
    from tests.factories import make_user

    with schema_context("acme"):
        draft = version(eval_twin, eval_owner)
    queued = eval_client.post(f"/api/twins/{eval_twin.pk}/persona-specs/{draft.version}/evaluations").json()
    cancel = f"/api/twins/{eval_twin.pk}/evaluations/{queued['id']}/cancel"
    viewer = api_client(acme, make_user(acme, "eval-cancel-reader", perms=["personas.view_personaspec"]))
    refused = viewer.post(cancel)
    assert refused.status_code == 403 and "may not add persona specs" in refused.json()["detail"]
    assert api_client(globex, demo_admin(globex)).post(cancel).status_code == 404
    response = eval_client.post(cancel)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error"]) == ("cancelled", "Cancelled by eval-owner.")
    again = eval_client.post(cancel)
    assert again.status_code == 409 and "already finished (cancelled)" in again.json()["detail"]
    missing = f"/api/twins/{eval_twin.pk}/evaluations/00000000-0000-0000-0000-000000000000/cancel"
    assert eval_client.post(missing).status_code == 404


def _in_acme(function, *args):
    from django.db import connection

    try:
        with schema_context("acme"):
            return function(*args)
    finally:
        connection.close()  # the thread's own connection
