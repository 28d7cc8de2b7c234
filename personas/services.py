"""Every write of persona spec versions that is not a lifecycle transition: create and generate.

Publishing, rolling back and duplicating are transitions (`personas.transitions`). The API, the
admin and management commands all call these, so each change has one path, one permission check
and one audit entry. Services take keyword arguments, run in one transaction and raise
`core.errors` exceptions; they never build responses.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from core.errors import Conflict, ValidationFailed
from personas.audit import audit_event_record
from personas.generation import MemoryInput, spec_from_twin_data
from personas.models import NOTES_MAX_LENGTH, AuditEvent, PersonaSpec
from personas.permissions import SpecAction, require
from personas.selectors import next_version_after, persona_spec_neighbours
from personas.spec import MAX_SPEC_BYTES, canonical_json, hash_of_canonical, parse_semver, validate_spec
from personas.transitions import PUBLISH, PublishResult
from twins.models import Memory, Twin


@dataclass(frozen=True)
class GenerateResult:
    persona_spec: PersonaSpec
    generated_from: list[str]
    published: PublishResult | None


def persona_spec_create(
    *, twin: Twin, actor, spec: object, version: str | None = None, notes: str = "",
    source: str = PersonaSpec.Source.MANUAL, channel: str = AuditEvent.Channel.API,
    audit_action: str = AuditEvent.Action.CREATE, audit_details: dict | None = None,
) -> PersonaSpec:
    """Validate `spec` and store it as a new draft version of `twin`.

    Without a version, the next patch after the twin's highest version (numeric order) is assigned;
    the twin row is locked meanwhile, so concurrent creates get distinct versions.
    """
    require(actor, SpecAction.ADD, twin)
    version = _requested_version(spec, version)
    errors = validate_spec(spec)
    if len(notes) > NOTES_MAX_LENGTH:
        errors.append({"path": "/notes", "message": f"at most {NOTES_MAX_LENGTH} characters"})
    if errors:
        raise ValidationFailed("The persona spec is invalid.", errors=errors)

    with transaction.atomic():
        locked_twin = Twin.objects.select_for_update().get(pk=twin.pk)
        neighbours = persona_spec_neighbours(locked_twin, version)
        if version is None:
            version = next_version_after(neighbours.highest)
        elif neighbours.taken:
            raise Conflict(f"Version {version} of this twin already exists.",
                           errors=[{"path": "/version", "message": f"version {version} already exists"}])
        stored = {**spec, "version": version, "schema_version": spec.get("schema_version", 1)}
        stored_text = canonical_json(stored)  # serialised once: for the size limit and the hash
        if len(stored_text.encode("utf-8")) > MAX_SPEC_BYTES:  # the version was added after validation
            raise ValidationFailed("The persona spec is too large.", errors=[
                {"path": "", "message": f"the stored spec must be at most {MAX_SPEC_BYTES} bytes"}])
        major, minor, patch = parse_semver(version)
        try:
            # No savepoint: a failed insert ends this transaction anyway (Conflict leaves the block,
            # which rolls back; nested in a caller's block, that block is a savepoint of its own).
            persona_spec = PersonaSpec.objects.create(
                twin=locked_twin, version=version, version_major=major, version_minor=minor,
                version_patch=patch, spec=stored, spec_hash=hash_of_canonical(stored_text), source=source, notes=notes,
                created_by=actor,
            )
        except IntegrityError:  # the unique (twin, version) constraint is the last word
            raise Conflict(f"Version {version} of this twin already exists.") from None
        # What the API judges the new version against (its suggested number), read under the lock.
        persona_spec.neighbours_at_create = neighbours
        audit_event_record(actor=actor, action=audit_action, channel=channel, twin=locked_twin,
                           persona_spec=persona_spec, details={"source": source, **(audit_details or {})})
    return persona_spec


def persona_spec_generate(
    *, twin: Twin, actor, notes: str = "", auto_publish: bool = False, channel: str = AuditEvent.Channel.API,
) -> GenerateResult:
    """Draft a spec from the twin's settings and approved memories; publish it too if asked."""
    if auto_publish:
        require(actor, SpecAction.PUBLISH, twin)
    memories = [
        MemoryInput(str(m.id), m.topic, m.value, m.stance, m.intensity)
        for m in Memory.objects.filter(twin=twin, status=Memory.Status.APPROVED)
    ]
    spec, generated_from = spec_from_twin_data(twin_name=twin.name, settings=twin.settings or {}, memories=memories)
    with transaction.atomic():
        persona_spec = persona_spec_create(
            twin=twin, actor=actor, spec=spec, notes=notes or "Generated from twin settings and approved memories.",
            source=PersonaSpec.Source.GENERATED, channel=channel, audit_action=AuditEvent.Action.GENERATE,
            audit_details={"generated_from": generated_from},
        )
        # A new version is the twin's highest, so making it active is a publish (never a rollback);
        # every publish check applies, as on any other channel.
        published = PUBLISH.execute(user=actor, persona_spec=persona_spec, channel=channel) if auto_publish else None
    return GenerateResult(published.persona_spec if published else persona_spec, generated_from, published)


def _requested_version(spec: object, version: str | None) -> str | None:
    """The version asked for, in the body or inside the spec; both given must agree."""
    in_spec = spec.get("version") if isinstance(spec, dict) else None
    if version is not None and in_spec is not None and version != in_spec:
        raise ValidationFailed("Two different versions were given.", errors=[
            {"path": "/version", "message": f"the spec says {in_spec!r} but the request asks for {version!r}"}
        ])
    version = version if version is not None else in_spec
    if version is not None:
        try:
            parse_semver(version)
        except ValueError:
            raise ValidationFailed("Invalid version.", errors=[
                {"path": "/version", "message": "must be a semantic version MAJOR.MINOR.PATCH, like 1.2.3"}
            ]) from None
    return version
