"""Evaluation cases and runs in the tenant admin: edited through the services, imported as JSON Lines,
runs read-only, the review page's button queues a run."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from evaluations.models import EvalCase, EvalRun
from personas.services import persona_spec_create
from tests.factories import make_user
from tests.personas.admin_support import admin_client, review_url, text
from tests.personas.builders import example_spec

AUTHOR_PERMS = ["personas.view_personaspec", "personas.add_personaspec", "evaluations.view_evalcase",
                "evaluations.add_evalcase", "evaluations.change_evalcase", "evaluations.view_evalrun",
                "twins.view_twin"]


def test_a_case_is_added_and_changed_through_the_service_with_its_errors_shown(in_acme, acme, eval_twin):
    author = make_user(acme, "eval-admin-author", perms=AUTHOR_PERMS, staff=True)
    client = admin_client(acme, author)
    document = {"name": "pilot", "message": "Should we offer a free pilot?", "expect": {"max_words": 120}}
    added = client.post("/admin/evaluations/evalcase/add/", {"twin": str(eval_twin.pk),
                                                              "document": json.dumps(document), "_save": "Save"})
    assert added.status_code == 302
    with schema_context("acme"):
        case = EvalCase.objects.get(twin=eval_twin)
    assert (case.name, case.expect, case.created_by_id) == ("pilot", {"max_words": 120}, author.pk)
    refused = client.post(f"/admin/evaluations/evalcase/{case.pk}/change/", {
        "document": json.dumps({**document, "expect": {"structure": "poem"}}), "_save": "Save"}, follow=True)
    assert "/expect/structure" in text(refused)
    with schema_context("acme"):
        assert EvalCase.objects.get(pk=case.pk).expect == {"max_words": 120}  # nothing written


def test_json_lines_import_in_the_admin_is_all_or_nothing(in_acme, acme, eval_twin):
    client = admin_client(acme, make_user(acme, "eval-admin-importer", perms=AUTHOR_PERMS, staff=True))
    good = "\n".join(json.dumps({"name": name, "message": f"About {name}?"}) for name in ("a", "b"))
    bad = good + "\n" + json.dumps({"name": "c", "message": ""})
    page = client.post("/admin/evaluations/evalcase/import/", {
        "twin": str(eval_twin.pk), "file": SimpleUploadedFile("cases.jsonl", bad.encode())}, follow=True)
    assert "/2/message" in text(page)
    with schema_context("acme"):
        assert not EvalCase.objects.filter(twin=eval_twin).exists()
    done = client.post("/admin/evaluations/evalcase/import/", {"twin": str(eval_twin.pk), "jsonl": good}, follow=True)
    assert "2 created, 0 updated, 0 unchanged" in text(done)


def test_the_review_page_button_queues_a_run_once(in_acme, acme, eval_twin, eval_owner):
    with schema_context("acme"):
        draft = persona_spec_create(twin=eval_twin, actor=eval_owner, spec=example_spec())
    client = admin_client(acme, make_user(acme, "eval-admin-runner", perms=AUTHOR_PERMS, staff=True))
    page = text(client.get(review_url(draft)))
    assert 'id="run-evaluation"' in page
    first = client.post(f"/admin/evaluations/evalrun/request/{draft.pk}/", follow=True)
    assert "Queued the evaluation" in text(first)
    again = client.post(f"/admin/evaluations/evalrun/request/{draft.pk}/", follow=True)
    assert "Already queued or running" in text(again)
    with schema_context("acme"):
        run = EvalRun.objects.get(persona_spec=draft)
    assert client.get(f"/admin/evaluations/evalrun/{run.pk}/change/").status_code == 200
    viewer = admin_client(acme, make_user(acme, "eval-admin-viewer", perms=["personas.view_personaspec"], staff=True))
    assert 'id="run-evaluation"' not in text(viewer.get(review_url(draft)))
    refused = viewer.post(f"/admin/evaluations/evalrun/request/{draft.pk}/", follow=True)
    assert "Could not run the evaluation: You may not add persona specs to this twin." in text(refused)
    with schema_context("acme"):
        assert EvalRun.objects.filter(persona_spec=draft).count() == 1


def test_the_review_page_cancels_a_queued_run(in_acme, acme, eval_twin, eval_owner):
    with schema_context("acme"):
        draft = persona_spec_create(twin=eval_twin, actor=eval_owner, spec=example_spec())
    client = admin_client(acme, make_user(acme, "eval-admin-canceller", perms=AUTHOR_PERMS, staff=True))
    client.post(f"/admin/evaluations/evalrun/request/{draft.pk}/")
    with schema_context("acme"):
        run = EvalRun.objects.get(persona_spec=draft)
    assert 'id="cancel-evaluation"' in text(client.get(review_url(draft)))
    viewer = admin_client(acme, make_user(acme, "eval-cancel-viewer", perms=["personas.view_personaspec"], staff=True))
    assert 'id="cancel-evaluation"' not in text(viewer.get(review_url(draft)))
    refused = viewer.post(f"/admin/evaluations/evalrun/{run.pk}/cancel/", follow=True)
    assert "Could not cancel the evaluation: You may not add persona specs to this twin." in text(refused)

    cancelled = client.post(f"/admin/evaluations/evalrun/{run.pk}/cancel/", follow=True)
    page = text(cancelled)
    assert "Cancelled the evaluation" in page and "Cancelled by eval-admin-canceller." in page
    assert 'id="cancel-evaluation"' not in page and "cases passed" not in page
    again = client.post(f"/admin/evaluations/evalrun/{run.pk}/cancel/", follow=True)
    assert "has already finished (cancelled): nothing to cancel" in text(again)
    with schema_context("acme"):
        assert EvalRun.objects.get(pk=run.pk).status == "cancelled"
