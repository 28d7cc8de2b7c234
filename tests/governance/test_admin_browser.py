"""Approve, then publish, clicked through in a real browser (Debian's chromium) against a real server.

Rows are committed (`committed_db`); the test makes its own twin with a unique name. Approvals, audit
events and policy changes are append-only by design (database triggers), so those rows stay in the
test database, which is dropped at the end of the session.
"""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from governance.models import Approval, PublishPolicy
from personas.models import PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.personas import browser_support
from tests.personas.browser_support import log_in
from tests.personas.builders import example_spec, new_twin

pytestmark = pytest.mark.browser

base_url = browser_support.base_url  # acme's host on the session's live server (a fixture)


@pytest.fixture
def draft_needing_approval(committed_db):
    """A fresh twin of acme (owned by the demo admin) with 1.0.0 live, a policy of one approval, and the
    draft 1.0.1 written by the admin: neither `reviewer` nor `publisher` wrote it."""
    from django.contrib.auth import get_user_model

    with schema_context("acme"):
        admin = get_user_model().objects.get(username="admin")
        twin = new_twin(admin, f"Approval twin {uuid.uuid4().hex[:8]}")
        first = persona_spec_create(twin=twin, actor=admin, spec=example_spec())
        persona_spec_publish(persona_spec=first, actor=admin)
        PublishPolicy.objects.create(twin=twin, require_approval=True, approvals_required=1)
        changed = example_spec()
        changed["constitution"] = [*changed["constitution"], "Name the assumption that matters most."]
        return persona_spec_create(twin=twin, actor=admin, spec=changed, notes="One more rule.")


def statuses(twin_id) -> dict[str, str]:
    with schema_context("acme"):
        return dict(PersonaSpec.objects.filter(twin_id=twin_id).values_list("version", "status"))


def test_the_reviewer_approves_then_the_publisher_publishes(page, base_url, draft_needing_approval, screenshot):
    draft = draft_needing_approval
    review = f"{base_url}/admin/personas/personaspec/{draft.pk}/review/"

    # The publisher may publish, but not yet: the page says what is missing and whom to ask.
    log_in(page, base_url, "publisher")
    page.goto(review)
    refusal = page.inner_text("#publish-refusal")
    assert "Version 1.0.1 needs 1 approval of its exact content; it has none. Ask: " in refusal
    assert "reviewer" in refusal
    assert page.locator("input[value='Publish this version…']").count() == 0
    assert "You may not approve versions" in page.inner_text("#approval-refusal")
    page.context.clear_cookies()

    # The reviewer approves, with a comment, from the Approvals panel.
    log_in(page, base_url, "reviewer")
    page.goto(review)
    assert "needs 1 approval" in page.inner_text("#approval-policy")
    page.fill("#id_approval_comment", "The new rule is right; the tone is unchanged.")
    page.click("#approval-form button[value=approve]")
    page.wait_for_selector(".messagelist .success")
    assert "You approved version 1.0.1" in page.inner_text(".messagelist")
    listed = page.inner_text("#approval-list")
    assert "reviewer" in listed and "The new rule is right; the tone is unchanged." in listed and "this content" in listed
    assert "Approved: reviewer" in page.inner_text("#approval-status")
    screenshot(page, "admin-approval-panel")
    page.context.clear_cookies()

    # Now the publisher can publish it, through the confirmation page.
    log_in(page, base_url, "publisher")
    page.goto(review)
    page.click("input[value='Publish this version…']")
    page.wait_for_selector(".persona-confirmation")
    page.click("input[value='Yes, publish it']")
    page.wait_for_selector(".messagelist .success")
    assert "Published version 1.0.1" in page.inner_text(".messagelist")
    screenshot(page, "admin-published-after-approval")
    assert statuses(draft.twin_id) == {"1.0.0": "archived", "1.0.1": "active"}
    with schema_context("acme"):
        assert list(Approval.objects.filter(persona_spec=draft).values_list("reviewer_username", "decision")) == [
            ("reviewer", "approve")]
