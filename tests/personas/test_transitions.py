"""The lifecycle transitions on real PostgreSQL: publish, re-publish, rollback, duplicate, their checks,
the pluggable publish checks, and that a refusal leaves nothing written."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from core.errors import Conflict, PermissionDenied, ValidationFailed
from personas.models import AuditEvent, PersonaSpec
from personas.publish_checks import PublishBlock, register_publish_check, unregister_publish_check
from personas.services import persona_spec_create, persona_spec_generate
from personas.transitions import (
    DUPLICATE,
    PUBLISH,
    ROLLBACK,
    ActiveVersionChanged,
    PublishBlocked,
    persona_spec_publish,
    publish_transition_for,
)
from tests.factories import api_client, make_user
from tests.personas.builders import example_spec, new_twin


@pytest.fixture
def owner(in_acme):
    return make_user(in_acme, "transition-owner")


@pytest.fixture
def twin(owner):
    return new_twin(owner)


def create(twin, actor, version=None, **spec_changes):
    return persona_spec_create(twin=twin, actor=actor, spec=example_spec(**spec_changes), version=version)


def statuses(twin) -> dict[str, str]:
    return dict(PersonaSpec.objects.filter(twin=twin).values_list("version", "status"))


def actions(twin) -> list[str]:
    return list(AuditEvent.objects.filter(twin=twin).order_by("id").values_list("action", flat=True))


@pytest.fixture
def blocking_check():
    """A publish check registered the way another app would, refusing versions whose notes say "hold"."""
    seen = []

    @register_publish_check("test-hold")
    def hold(candidate):
        seen.append((candidate.persona_spec.version, candidate.action, candidate.channel))
        if "hold" in candidate.persona_spec.notes:
            yield PublishBlock("test-hold", f"Version {candidate.persona_spec.version} is on hold.")

    yield seen
    unregister_publish_check("test-hold")


def test_publish_activates_and_archives_the_previous_active(twin, owner):
    first, second = create(twin, owner), create(twin, owner)
    result = persona_spec_publish(persona_spec=first, actor=owner)
    assert result.previous_active_version is None and result.changed
    result = persona_spec_publish(persona_spec=second, actor=owner)
    assert result.previous_active_version == "1.0.0"
    assert statuses(twin) == {"1.0.0": "archived", "1.0.1": "active"}
    second.refresh_from_db()
    assert second.published_by == owner and second.published_at is not None
    event = AuditEvent.objects.filter(twin=twin, action="publish").first()
    assert (event.version, event.previous_version) == ("1.0.1", "1.0.0")


def test_publishing_an_archived_version_is_a_rollback(twin, owner):
    first, second = create(twin, owner), create(twin, owner)
    persona_spec_publish(persona_spec=first, actor=owner)
    persona_spec_publish(persona_spec=second, actor=owner)
    result = persona_spec_publish(persona_spec=first, actor=owner)
    assert result.previous_active_version == "1.0.1"
    assert statuses(twin) == {"1.0.0": "active", "1.0.1": "archived"}
    assert AuditEvent.objects.filter(twin=twin).values_list("action", flat=True).first() == "rollback"


def test_republishing_the_active_version_changes_nothing(twin, owner):
    first = create(twin, owner)
    persona_spec_publish(persona_spec=first, actor=owner)
    first.refresh_from_db()
    events = AuditEvent.objects.filter(twin=twin).count()
    result = persona_spec_publish(persona_spec=first, actor=owner)
    assert not result.changed and result.previous_active_version == "1.0.0"
    assert AuditEvent.objects.filter(twin=twin).count() == events
    assert PersonaSpec.objects.get(pk=first.pk).published_at == first.published_at


def test_a_version_that_does_not_compile_cannot_be_published_and_nothing_changes(twin, owner):
    good = create(twin, owner)
    persona_spec_publish(persona_spec=good, actor=owner)
    broken = PersonaSpec.objects.create(  # written directly: the service would have refused it
        twin=twin, version="9.9.9", version_major=9, version_minor=9, version_patch=9,
        spec={"constitution": "not a list"}, spec_hash="x" * 64,
    )
    events = AuditEvent.objects.filter(twin=twin).count()
    with pytest.raises(Conflict) as excinfo:
        persona_spec_publish(persona_spec=broken, actor=owner)
    assert excinfo.value.errors and excinfo.value.errors[0]["path"] == "/constitution"
    assert statuses(twin) == {"1.0.0": "active", "9.9.9": "draft"}
    assert AuditEvent.objects.filter(twin=twin).count() == events


def test_duplicate_is_a_new_draft_at_the_next_patch(twin, owner):
    first = create(twin, owner)
    create(twin, owner, version="1.4.0")
    copy = DUPLICATE.execute(persona_spec=first, user=owner)
    assert (copy.version, copy.source, copy.status) == ("1.4.1", "duplicate", "draft")
    assert {k: v for k, v in copy.spec.items() if k != "version"} == {
        k: v for k, v in first.spec.items() if k != "version"}


def test_a_publish_conditioned_on_a_stale_active_version_changes_nothing(twin, owner):
    first, second = create(twin, owner), create(twin, owner)
    persona_spec_publish(persona_spec=first, actor=owner)
    events = AuditEvent.objects.filter(twin=twin).count()
    with pytest.raises(ActiveVersionChanged):
        persona_spec_publish(persona_spec=second, actor=owner, expected_active_version=None)
    assert statuses(twin) == {"1.0.0": "active", "1.0.1": "draft"}
    assert AuditEvent.objects.filter(twin=twin).count() == events
    assert persona_spec_publish(persona_spec=second, actor=owner, expected_active_version="1.0.0").changed


# --- direction: publish, re-publish, rollback ----------------------------------------------------

def test_publishing_a_newer_archived_version_is_a_republish(twin, owner):
    first, second = create(twin, owner), create(twin, owner)
    persona_spec_publish(persona_spec=first, actor=owner)
    persona_spec_publish(persona_spec=second, actor=owner)
    persona_spec_publish(persona_spec=first, actor=owner, reason="1.0.1 answers too long")
    result = persona_spec_publish(persona_spec=second, actor=owner, reason="length fixed in the model settings")
    assert result.action == "republish" and result.previous_active_version == "1.0.0"
    assert actions(twin)[-4:] == ["publish", "publish", "rollback", "republish"]
    reasons = list(AuditEvent.objects.filter(twin=twin, action__in=["rollback", "republish"])
                   .order_by("id").values_list("reason", flat=True))
    assert reasons == ["1.0.1 answers too long", "length fixed in the model settings"]


def test_publish_and_rollback_each_refuse_the_other_direction(twin, owner):
    first, second = create(twin, owner), create(twin, owner)
    persona_spec_publish(persona_spec=second, actor=owner)  # 1.0.1 active, 1.0.0 an older draft
    verdict = PUBLISH.check(owner, first)
    assert not verdict.allowed and "older than the active version 1.0.1" in verdict.messages[0]
    assert publish_transition_for(first) is ROLLBACK
    assert not ROLLBACK.check(owner, second).allowed  # the active version itself
    events = actions(twin)
    with pytest.raises(Conflict):
        PUBLISH.execute(user=owner, persona_spec=first)
    assert statuses(twin) == {"1.0.0": "draft", "1.0.1": "active"} and actions(twin) == events
    result = ROLLBACK.execute(user=owner, persona_spec=first)
    assert result.action == "rollback" and statuses(twin) == {"1.0.0": "active", "1.0.1": "archived"}


def test_rollback_needs_an_active_version(twin, owner):
    draft = create(twin, owner)
    verdict = ROLLBACK.check(owner, draft)
    assert not verdict.allowed and "no active version to roll back from" in verdict.messages[0]
    assert publish_transition_for(draft) is PUBLISH


def test_a_reason_that_is_too_long_is_refused_and_nothing_changes(twin, owner):
    draft = create(twin, owner)
    with pytest.raises(ValidationFailed) as excinfo:
        persona_spec_publish(persona_spec=draft, actor=owner, reason="x" * 2001)
    assert excinfo.value.errors[0]["path"] == "/reason"
    assert statuses(twin) == {"1.0.0": "draft"} and actions(twin) == ["create"]


def test_check_reports_the_permission_and_every_other_reason(in_acme, twin, owner, blocking_check):
    draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec(), notes="hold until legal reads it")
    stranger = make_user(in_acme, perms=["personas.view_personaspec"])
    verdict = PUBLISH.check(stranger, draft)
    assert [refusal.code for refusal in verdict.refusals] == ["permission", "check:test-hold"]
    with pytest.raises(PermissionDenied):  # a permission refusal comes first: 403 before 409
        verdict.raise_if_refused()
    assert DUPLICATE.check(stranger, draft).refusals[0].status_code == 403
    with pytest.raises(PermissionDenied):
        DUPLICATE.execute(user=stranger, persona_spec=draft)


# --- pluggable publish checks, on every channel ---------------------------------------------------

def test_a_registered_publish_check_blocks_the_service_and_writes_nothing(twin, owner, blocking_check):
    draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec(), notes="hold for review")
    with pytest.raises(PublishBlocked) as excinfo:
        persona_spec_publish(persona_spec=draft, actor=owner)
    assert excinfo.value.status_code == 409
    assert excinfo.value.errors == [{"path": "", "message": "Version 1.0.0 is on hold.", "check": "test-hold"}]
    assert statuses(twin) == {"1.0.0": "draft"} and actions(twin) == ["create"]
    assert blocking_check[-1] == ("1.0.0", "publish", "api")
    free = create(twin, owner)
    assert persona_spec_publish(persona_spec=free, actor=owner).changed


def test_a_publish_check_blocks_generate_with_auto_publish_and_nothing_is_stored(twin, owner):
    @register_publish_check("test-no-generated")
    def no_generated(candidate):
        if candidate.persona_spec.source == "generated":
            yield PublishBlock("test-no-generated", "Generated versions need a human edit first.")

    try:
        with pytest.raises(PublishBlocked):
            persona_spec_generate(twin=twin, actor=owner, auto_publish=True)
    finally:
        unregister_publish_check("test-no-generated")
    assert statuses(twin) == {} and actions(twin) == []


def test_a_publish_check_blocks_the_api_with_a_json_409(acme, blocking_check):
    with schema_context("acme"):
        user = make_user(acme, "api-transition-owner")
        twin = new_twin(user)
        draft = persona_spec_create(twin=twin, actor=user, spec=example_spec(), notes="hold please")
    client = api_client(acme, user)
    response = client.post(f"/api/twins/{twin.pk}/persona-specs/{draft.version}/publish", {}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"] == [{"path": "", "message": "Version 1.0.0 is on hold.", "check": "test-hold"}]
    with schema_context("acme"):
        assert statuses(twin) == {"1.0.0": "draft"}


# --- the management command ------------------------------------------------------------------------

def test_the_command_publishes_rolls_back_and_is_audited_as_a_command(twin, owner):
    create(twin, owner), create(twin, owner)
    call_command("publish_persona_spec", str(twin.pk), "1.0.1", actor=owner.username)
    call_command("publish_persona_spec", str(twin.pk), "1.0.0", actor=owner.username, reason="bad tone")
    event = AuditEvent.objects.filter(twin=twin).first()
    assert (event.action, event.channel, event.reason, event.previous_version) == (
        "rollback", "command", "bad tone", "1.0.1")
    assert statuses(twin) == {"1.0.0": "active", "1.0.1": "archived"}


def test_the_command_refuses_with_the_reason_and_changes_nothing(in_acme, twin, owner, blocking_check):
    persona_spec_create(twin=twin, actor=owner, spec=example_spec(), notes="hold")
    stranger = make_user(in_acme, "command-stranger")
    with pytest.raises(CommandError, match="may not publish"):
        call_command("publish_persona_spec", str(twin.pk), "1.0.0", actor=stranger.username)
    with pytest.raises(CommandError, match="is on hold"):
        call_command("publish_persona_spec", str(twin.pk), "1.0.0", actor=owner.username)
    with pytest.raises(CommandError, match="has no version 9.9.9"):
        call_command("publish_persona_spec", str(twin.pk), "9.9.9", actor=owner.username)
    with pytest.raises(CommandError, match="has no version"):
        call_command("publish_persona_spec", "not-a-uuid", "1.0.0", actor=owner.username)
    with pytest.raises(CommandError, match="No active user"):
        call_command("publish_persona_spec", str(twin.pk), "1.0.0", actor="nobody")
    assert statuses(twin) == {"1.0.0": "draft"} and actions(twin) == ["create"]


def test_the_command_only_sees_its_own_tenant(twin, owner):
    create(twin, owner)
    with schema_context("globex"):
        with pytest.raises(CommandError, match="has no version"):
            call_command("publish_persona_spec", str(twin.pk), "1.0.0", actor="admin")
    assert statuses(twin) == {"1.0.0": "draft"}
