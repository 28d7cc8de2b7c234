"""chat_turn's prompt-snapshot store: a snapshot known to be stored in one tenant is not in another."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from chat.models import PromptSnapshot
from chat.selectors import prompt_snapshot_for
from chat.services import chat_turn
from tests.factories import data_queries, make_user
from tests.personas.builders import new_twin

QUESTION = "Should we offer a free pilot to our first enterprise customer?"


def same_twin_in(tenant):
    """An owner and a twin whose system prompt is byte-identical in every tenant."""
    owner = make_user(tenant, "snapshot-owner")
    with schema_context(tenant.schema_name):
        return owner, new_twin(owner, name="Same prompt", persona_profile="Direct.")


def turn(schema, owner, twin):
    with schema_context(schema):
        return chat_turn(twin=twin, user=owner, message=QUESTION).reply.trace["prompt_fingerprint"]


def snapshot_queries(schema, owner, twin) -> tuple[str, list[str]]:
    with schema_context(schema), CaptureQueriesContext(connection) as captured:
        fingerprint = chat_turn(twin=twin, user=owner, message=QUESTION).reply.trace["prompt_fingerprint"]
    return fingerprint, [q for q in data_queries(captured) if "chat_promptsnapshot" in q]


def test_a_snapshot_stored_in_acme_does_not_make_globex_skip_its_own(acme, globex, django_capture_on_commit_callbacks):
    acme_owner, acme_twin = same_twin_in(acme)
    globex_owner, globex_twin = same_twin_in(globex)
    with django_capture_on_commit_callbacks(execute=True):  # committed: acme's fingerprint is now known stored
        fingerprint = turn("acme", acme_owner, acme_twin)
    again, acme_queries = snapshot_queries("acme", acme_owner, acme_twin)
    assert again == fingerprint and acme_queries == [], "acme skips storing a snapshot it already has"

    globex_fingerprint, globex_queries = snapshot_queries("globex", globex_owner, globex_twin)
    assert globex_fingerprint == fingerprint
    assert len(globex_queries) == 1, "globex stores its own copy"
    with schema_context("globex"):
        assert PromptSnapshot.objects.filter(pk=fingerprint).count() == 1
        assert prompt_snapshot_for(user=globex_owner, twin=globex_twin, fingerprint=fingerprint).text


def test_a_snapshot_counts_as_stored_only_once_its_turn_commits(acme):
    owner, twin = same_twin_in(acme)
    # Uncommitted (the test's transaction), the turn's snapshot may still be rolled back: send it again.
    fingerprint = turn("acme", owner, twin)
    again, queries = snapshot_queries("acme", owner, twin)
    assert again == fingerprint and len(queries) == 1
