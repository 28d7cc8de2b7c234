"""Running an evaluation from a version's review page in a real browser, with a real worker."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from demo.seeding import DEMO_PASSWORD
from evaluations.models import EvalRun
from evaluations.services import eval_case_create
from personas.services import persona_spec_create
from tests.evaluations.worker import run_worker_until_idle
from tests.personas.builders import example_spec, new_twin

pytestmark = pytest.mark.browser


@pytest.fixture
def draft_with_a_case(committed_db):
    from django.contrib.auth import get_user_model

    with schema_context("acme"):
        owner = get_user_model().objects.get(username="admin")
        twin = new_twin(owner, f"Eval browser twin {uuid.uuid4().hex[:8]}")
        eval_case_create(twin=twin, actor=owner, data={
            "name": "pilot", "message": "Should we offer a free pilot?", "expected_intent": "advice_or_stance"})
        return persona_spec_create(twin=twin, actor=owner, spec=example_spec())


def test_run_an_evaluation_from_the_review_page_and_see_it_finish(page, live_server_port, draft_with_a_case,
                                                                  screenshot):
    draft = draft_with_a_case
    base = f"http://acme.localhost:{live_server_port}"
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", "publisher")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    page.goto(f"{base}/admin/personas/personaspec/{draft.pk}/review/")
    panel = page.locator("#panel-evaluation")
    calls = 1 + len(draft.spec["canonical_examples"])
    assert "No evaluation has run for this version yet." in panel.inner_text()
    assert f"{calls} cases: {calls} calls to offline" in panel.inner_text()
    page.click("#run-evaluation")
    page.wait_for_selector("#eval-progress")
    assert "Queued" in page.inner_text("#eval-status")
    screenshot(page, "admin-evaluation-queued")

    run_worker_until_idle()  # a real worker takes the job from the queue

    page.reload()
    page.wait_for_selector("#eval-cases")
    with schema_context("acme"):
        run = EvalRun.objects.get(persona_spec=draft)
    assert run.status in ("passed", "failed") and run.progress_done == calls
    status = page.inner_text("#eval-status")
    assert run.get_status_display() in status and f"of {calls} cases passed" in status
    assert page.locator("#eval-cases tbody tr").count() == calls
    assert "pilot" in page.inner_text("#eval-cases")
    screenshot(page, "admin-evaluation-finished")
