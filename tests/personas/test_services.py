"""Storage and services on real PostgreSQL: versions, publish, rollback, audit, failure leaves nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from core.errors import Conflict, PermissionDenied, ValidationFailed
from personas.models import AuditEvent, PersonaSpec
from personas.services import persona_spec_create, persona_spec_generate
from personas.transitions import persona_spec_publish
from tests.factories import make_user
from tests.personas.builders import example_spec, new_twin
from twins.models import Memory


@pytest.fixture
def owner(in_acme):
    return make_user(in_acme, "spec-owner")


@pytest.fixture
def twin(owner):
    return new_twin(owner)


def create(twin, actor, version=None, **spec_changes):
    return persona_spec_create(twin=twin, actor=actor, spec=example_spec(**spec_changes), version=version)


def statuses(twin) -> dict[str, str]:
    return dict(PersonaSpec.objects.filter(twin=twin).values_list("version", "status"))


def test_first_version_is_1_0_0_and_the_next_patch_follows(twin, owner):
    assert create(twin, owner).version == "1.0.0"
    assert create(twin, owner).version == "1.0.1"


def test_next_version_is_numeric_never_textual(twin, owner):
    create(twin, owner, version="1.0.9")
    assert create(twin, owner).version == "1.0.10"
    assert create(twin, owner).version == "1.0.11"
    create(twin, owner, version="1.0.2")  # an older explicit version does not move the head
    assert create(twin, owner).version == "1.0.12"


def test_version_inside_the_spec_is_honoured_and_must_agree(twin, owner):
    assert persona_spec_create(twin=twin, actor=owner, spec=example_spec(version="2.3.4")).version == "2.3.4"
    with pytest.raises(ValidationFailed) as excinfo:
        persona_spec_create(twin=twin, actor=owner, spec=example_spec(version="2.3.5"), version="2.3.6")
    assert excinfo.value.errors[0]["path"] == "/version"


def test_stored_spec_is_the_canonical_content_with_its_version(twin, owner):
    stored = create(twin, owner)
    assert stored.spec["version"] == "1.0.0"
    assert stored.spec["identity_voice"] == example_spec()["identity_voice"]
    assert len(stored.spec_hash) == 64
    assert (stored.version_major, stored.version_minor, stored.version_patch) == (1, 0, 0)
    assert stored.status == "draft" and stored.created_by == owner


def test_existing_explicit_version_is_a_conflict(twin, owner):
    create(twin, owner, version="1.2.0")
    with pytest.raises(Conflict):
        create(twin, owner, version="1.2.0")
    assert PersonaSpec.objects.filter(twin=twin).count() == 1


def test_invalid_spec_reports_every_problem_and_stores_nothing(twin, owner):
    spec = example_spec(constitution=[""], unknown_field=1)
    with pytest.raises(ValidationFailed) as excinfo:
        persona_spec_create(twin=twin, actor=owner, spec=spec)
    paths = {error["path"] for error in excinfo.value.errors}
    assert {"/constitution/0", "/unknown_field"} <= paths
    assert not PersonaSpec.objects.filter(twin=twin).exists()
    assert not AuditEvent.objects.filter(twin=twin).exists()


def test_create_writes_one_audit_event(twin, owner):
    stored = create(twin, owner)
    event = AuditEvent.objects.get(twin=twin)
    assert (event.action, event.channel, event.version, event.actor, event.persona_spec) == (
        "create", "api", "1.0.0", owner, stored)


def test_permissions_owner_or_model_permissions(in_acme, twin, owner):
    stranger = make_user(in_acme)
    with pytest.raises(PermissionDenied):
        create(twin, stranger)
    drafter = make_user(in_acme, perms=["personas.add_personaspec"])
    draft = create(twin, drafter)
    with pytest.raises(PermissionDenied):
        persona_spec_publish(persona_spec=draft, actor=drafter)
    publisher = make_user(in_acme, perms=["personas.publish_personaspec"])
    assert persona_spec_publish(persona_spec=draft, actor=publisher).changed


def test_generate_drafts_from_settings_and_approved_memories(in_acme, owner):
    twin = new_twin(owner, persona_profile="Calm and precise.", signature_phrases=["Measure twice."],
                    public_intro="I'm Lee's twin.", intent_profile={"advice_or_stance": "short"})
    approved = Memory.objects.create(twin=twin, topic="testing", value="Test the failure path first",
                                     stance="strong", intensity=8, status="approved")
    Memory.objects.create(twin=twin, topic="secret", value="not approved", intensity=9, status="pending")
    result = persona_spec_generate(twin=twin, actor=owner)
    spec = result.persona_spec.spec
    assert result.persona_spec.source == "generated" and result.persona_spec.status == "draft"
    assert spec["identity_voice"]["persona_profile"] == "Calm and precise."
    assert spec["identity_voice"]["signature_phrases"] == ["Measure twice."]
    assert set(spec["stance_values"]) == {"testing"}
    assert spec["interaction_style"]["intent.advice_or_stance"] == "short"
    assert f"memory:{approved.id}" in result.generated_from
    assert "settings.persona_profile" in result.generated_from
    assert AuditEvent.objects.get(twin=twin).action == "generate"


def test_generate_with_auto_publish_publishes_in_the_same_request(twin, owner):
    result = persona_spec_generate(twin=twin, actor=owner, auto_publish=True)
    assert result.persona_spec.status == "active"
    assert list(AuditEvent.objects.filter(twin=twin).order_by("id").values_list("action", flat=True)) == [
        "generate", "publish"]


# --- guards the database keeps by itself --------------------------------------------------------

def test_the_database_refuses_a_second_active_version(twin, owner):
    first, second = create(twin, owner), create(twin, owner)
    PersonaSpec.objects.filter(pk=first.pk).update(status="active")
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonaSpec.objects.filter(pk=second.pk).update(status="active")


def test_the_database_refuses_to_change_stored_content(twin, owner):
    stored = create(twin, owner)
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        PersonaSpec.objects.filter(pk=stored.pk).update(spec={"constitution": ["changed"]})
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonaSpec.objects.filter(pk=stored.pk).update(notes="rewritten history")


def test_the_database_refuses_a_bad_version_or_status(twin, owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonaSpec.objects.create(twin=twin, version="1.0", version_major=1, version_minor=0, version_patch=0,
                                   spec={}, spec_hash="x")
    stored = create(twin, owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonaSpec.objects.filter(pk=stored.pk).update(status="live")


def test_audit_events_are_append_only_in_the_database(twin, owner):
    create(twin, owner)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(twin=twin).update(action="publish")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(twin=twin).delete()
    assert AuditEvent.objects.filter(twin=twin).count() == 1


def test_a_user_who_acted_can_be_deleted_and_the_trail_still_names_them(acme, twin, owner):
    author = make_user(acme, "short-lived-author", perms=["personas.add_personaspec", "personas.view_personaspec"])
    with schema_context("acme"):
        stored = persona_spec_create(twin=twin, actor=author, spec=example_spec())
        get_user_model().objects.filter(pk=author.pk).delete()
        event = AuditEvent.objects.get(twin=twin, persona_spec=stored)
        assert (event.actor_id, event.actor_username, event.action) == (None, "short-lived-author", "create")
        assert PersonaSpec.objects.get(pk=stored.pk).created_by_id is None
        # Nulling the actor is the only change allowed, and only together with nothing else.
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(actor_username="someone else")
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(actor=owner)


def test_globex_does_not_see_acme_specs(twin, owner):
    create(twin, owner)
    with schema_context("globex"):
        assert not PersonaSpec.objects.filter(twin_id=twin.pk).exists()
    assert connection.schema_name == "acme"

