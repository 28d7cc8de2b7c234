"""Publish, roll back and duplicate in the admin: confirmation first, one audit event, refusals change nothing.

Shared helpers are in admin_support.py, the fixtures (owner, twin, publisher, reviewer,
active_and_draft) in conftest.py.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django_tenants.utils import schema_context

from personas.models import PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.personas.admin_support import (
    CHANGELIST,
    admin_client,
    audit_rows,
    confirm_action,
    run_action,
    statuses,
    text,
)
from tests.personas.builders import example_spec

# --- publish, roll back, duplicate ---------------------------------------------------------------

def test_publish_asks_for_confirmation_first_and_changes_nothing_until_confirmed(in_acme, active_and_draft,
                                                                                 publisher):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    before = audit_rows(draft.twin)
    page = run_action(client, "publish_selected", draft)
    assert page.status_code == 200
    html = text(page)
    assert "Publish a persona spec version" in html
    assert re.search(r'id="goes-active"><span class="persona-version">1\.0\.1</span>', html)
    assert re.search(r'id="gets-archived"><span class="persona-version">1\.0\.0</span>', html)
    assert "<strong>Twin in admin</strong>" in html
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"}
    assert audit_rows(draft.twin) == before

    done = confirm_action(client, "publish_selected", draft, page)
    assert done.status_code == 200
    assert "Published version" in text(done) and "Version 1.0.0 was archived." in text(done)
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"}
    assert audit_rows(draft.twin) == [*before, ("publish", "admin", "1.0.1", "1.0.0", "admin-publisher")]
    with schema_context("acme"):
        published = PersonaSpec.objects.get(pk=draft.pk)
        history = list(LogEntry.objects.filter(object_id=str(draft.pk)).values_list("change_message", flat=True))
    assert published.published_by_id == publisher.pk and published.published_at is not None
    assert history == ["Published version 1.0.1. Version 1.0.0 was archived."]  # the admin's object history


def test_publishing_the_first_version_names_nothing_to_archive(in_acme, twin, owner, publisher):
    draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec())
    client = admin_client(in_acme, publisher)
    page = run_action(client, "publish_selected", draft)
    assert "nothing: Twin in admin has no active version yet" in text(page)
    confirm_action(client, "publish_selected", draft, page)
    assert statuses(twin) == {"1.0.0": "active"}
    assert audit_rows(twin)[-1] == ("publish", "admin", "1.0.0", "", "admin-publisher")


def test_rollback_goes_through_confirmation_and_records_a_rollback(in_acme, active_and_draft, publisher, owner):
    active, draft = active_and_draft
    persona_spec_publish(persona_spec=draft, actor=owner)  # 1.0.1 active, 1.0.0 archived
    client = admin_client(in_acme, publisher)
    before = audit_rows(draft.twin)
    page = run_action(client, "rollback_selected", active)
    html = text(page)
    assert "Roll back to an earlier persona spec version" in html
    assert re.search(r'id="goes-active"><span class="persona-version">1\.0\.0</span>', html)
    assert re.search(r'id="gets-archived"><span class="persona-version">1\.0\.1</span>', html)
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"} and audit_rows(draft.twin) == before

    done = confirm_action(client, "rollback_selected", active, page)
    assert "Rolled back to version" in text(done)
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "archived"}
    assert audit_rows(draft.twin) == [*before, ("rollback", "admin", "1.0.0", "1.0.1", "admin-publisher")]


def test_duplicate_goes_through_confirmation_and_creates_the_next_patch_draft(in_acme, active_and_draft,
                                                                              reviewer):
    active, _ = active_and_draft
    client = admin_client(in_acme, reviewer)  # duplicating needs the add permission, not publish
    before = audit_rows(active.twin)
    page = run_action(client, "duplicate_selected", active)
    html = text(page)
    assert "Duplicate a persona spec version as a new draft" in html
    assert '<span class="persona-version">1.0.2</span>' in html
    assert statuses(active.twin) == {"1.0.0": "active", "1.0.1": "draft"} and audit_rows(active.twin) == before

    done = confirm_action(client, "duplicate_selected", active, page)
    assert "was duplicated as the new draft" in text(done)
    with schema_context("acme"):
        copy = PersonaSpec.objects.get(twin=active.twin, version="1.0.2")
    assert (copy.status, copy.source) == ("draft", "duplicate")
    assert {k: v for k, v in copy.spec.items() if k != "version"} == {
        k: v for k, v in active.spec.items() if k != "version"}
    assert audit_rows(active.twin) == [*before, ("create", "admin", "1.0.2", "", "admin-reviewer")]


@pytest.mark.parametrize("action", ["publish_selected", "rollback_selected", "duplicate_selected"])
def test_more_or_less_than_one_selected_is_refused_and_changes_nothing(in_acme, active_and_draft, publisher,
                                                                       action):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    before = audit_rows(draft.twin)
    for selection in ([active, draft], []):
        response = run_action(client, action, *selection, follow=True, confirm="yes")
        assert response.status_code == 200
        assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"}
        assert audit_rows(draft.twin) == before
    assert "Select exactly one version" in text(run_action(client, action, active, draft, follow=True))
    everything = run_action(client, action, active, follow=True, select_across="1", confirm="yes")
    assert "Select exactly one version" in text(everything)
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"} and audit_rows(draft.twin) == before


def test_publish_refuses_the_active_and_older_versions_and_rollback_refuses_newer_ones(in_acme, active_and_draft,
                                                                                       publisher, owner):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    before = audit_rows(draft.twin)
    assert "is already the active version" in text(
        run_action(client, "publish_selected", active, follow=True, confirm="yes"))
    assert ("is newer than the active version 1.0.0: making it active is a publish, not a rollback: "
            "use “Publish selected version”") in text(
        run_action(client, "rollback_selected", draft, follow=True, confirm="yes"))
    persona_spec_publish(persona_spec=draft, actor=owner)
    before = audit_rows(draft.twin)
    assert ("is older than the active version 1.0.1: making it active is a rollback: "
            "use “Roll back to selected version”") in text(
        run_action(client, "publish_selected", active, follow=True, confirm="yes"))
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"} and audit_rows(draft.twin) == before


def test_a_stale_confirmation_changes_nothing_and_shows_the_new_state(in_acme, active_and_draft, publisher, owner):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    newer = persona_spec_create(twin=draft.twin, actor=owner, spec=example_spec())
    page = run_action(client, "publish_selected", newer)  # says: 1.0.0 gets archived
    persona_spec_publish(persona_spec=draft, actor=owner)  # meanwhile someone publishes 1.0.1
    before = audit_rows(draft.twin)
    response = confirm_action(client, "publish_selected", newer, page)
    html = text(response)
    assert "changed since the confirmation page was shown" in html
    assert re.search(r'id="gets-archived"><span class="persona-version">1\.0\.1</span>', html)
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active", "1.0.2": "draft"}
    assert audit_rows(draft.twin) == before


def test_a_version_that_no_longer_compiles_is_refused_with_its_problems(in_acme, active_and_draft, publisher,
                                                                        monkeypatch):
    from personas import transitions
    from personas.spec import SpecValidationError

    def broken(spec):
        raise SpecValidationError([{"path": "/procedural_modules/0", "message": "unknown <module>"}])

    _, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    page = run_action(client, "publish_selected", draft)
    before = audit_rows(draft.twin)
    monkeypatch.setattr(transitions, "precompile", broken)
    html = text(confirm_action(client, "publish_selected", draft, page))
    assert "Could not publish version 1.0.1" in html
    assert "<code>/procedural_modules/0</code>: unknown &lt;module&gt;" in html
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"} and audit_rows(draft.twin) == before


def test_a_forged_selection_is_refused(in_acme, active_and_draft, publisher):
    _, draft = active_and_draft
    response = admin_client(in_acme, publisher).post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": ["1 OR 1=1"], "confirm": "yes"}, follow=True)
    assert "The selection is not valid" in text(response)
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"}


# --- where a successful action lands -------------------------------------------------------------

def landed_on(response) -> str:
    return response.redirect_chain[-1][0]


def test_publish_and_rollback_started_on_the_review_page_land_back_on_it(in_acme, active_and_draft, publisher):
    from tests.personas.admin_support import review_url

    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    review = text(client.get(review_url(draft)))
    assert '<input type="hidden" name="next" value="review">' in review
    page = run_action(client, "publish_selected", draft, next="review")
    assert '<input type="hidden" name="next" value="review">' in text(page)
    done = confirm_action(client, "publish_selected", draft, page)
    assert landed_on(done) == review_url(draft)
    assert "Published version" in text(done) and statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"}

    page = run_action(client, "rollback_selected", active, next="review")
    done = confirm_action(client, "rollback_selected", active, page)
    assert landed_on(done) == review_url(active)
    assert "Rolled back to version" in text(done)


def test_duplicate_started_on_the_review_page_lands_on_the_new_draft(in_acme, active_and_draft, reviewer):
    from tests.personas.admin_support import review_url

    active, _ = active_and_draft
    client = admin_client(in_acme, reviewer)
    page = run_action(client, "duplicate_selected", active, next="review")
    done = confirm_action(client, "duplicate_selected", active, page)
    with schema_context("acme"):
        copy = PersonaSpec.objects.get(twin=active.twin, version="1.0.2")
    assert landed_on(done) == review_url(copy)


@pytest.mark.parametrize("action", ["publish_selected", "duplicate_selected"])
def test_actions_started_on_the_list_land_on_the_list(in_acme, active_and_draft, publisher, action):
    active, draft = active_and_draft
    target = draft if action == "publish_selected" else active
    client = admin_client(in_acme, publisher)
    page = run_action(client, action, target)
    assert 'name="next"' not in text(page)
    done = confirm_action(client, action, target, page)
    assert landed_on(done) == CHANGELIST


def test_duplicate_when_no_patch_number_is_left_says_so_and_stores_nothing(in_acme, active_and_draft, reviewer):
    active, _ = active_and_draft
    persona_spec_create(twin=active.twin, actor=reviewer, spec=example_spec(), version="1.0.2147483647")
    before = statuses(active.twin)
    page = run_action(admin_client(in_acme, reviewer), "duplicate_selected", active, follow=True)
    assert page.status_code == 200
    assert "No patch number left after 1.0.2147483647" in text(page)
    assert statuses(active.twin) == before
