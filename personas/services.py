"""Every write and state change of persona specs: create, generate, duplicate, publish (and rollback).

The API, the admin and management commands all call these, so each change has one path, one
permission check and one audit entry. Services take keyword arguments, run in one transaction and
raise `core.errors` exceptions; they never build responses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, PermissionDenied, ValidationFailed
from personas.compiler import precompile
from personas.generation import MemoryInput, spec_from_twin_data
from personas.models import AuditEvent, PersonaSpec
from personas.permissions import can_add_spec, can_publish_spec
from personas.selectors import persona_spec_next_version
from personas.spec import (
    MAX_SPEC_BYTES,
    SpecValidationError,
    canonical_json,
    parse_semver,
    spec_hash,
    validate_spec,
)
from twins.models import Memory, Twin

logger = logging.getLogger(__name__)

NOTES_MAX_LENGTH = 2000


class ActiveVersionChanged(Conflict):
    """The caller confirmed a publish against an active version that is no longer the active one."""


# Sentinel: the caller does not condition the publish on the current active version.
UNCHECKED = object()


@dataclass(frozen=True)
class PublishResult:
    persona_spec: PersonaSpec
    previous_active_version: str | None
    changed: bool


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
    if not can_add_spec(actor, twin):
        raise PermissionDenied("You may not add persona specs to this twin.")
    version = _requested_version(spec, version)
    errors = validate_spec(spec)
    if len(notes) > NOTES_MAX_LENGTH:
        errors.append({"path": "/notes", "message": f"at most {NOTES_MAX_LENGTH} characters"})
    if errors:
        raise ValidationFailed("The persona spec is invalid.", errors=errors)

    with transaction.atomic():
        locked_twin = Twin.objects.select_for_update().get(pk=twin.pk)
        if version is None:
            version = persona_spec_next_version(locked_twin)
        elif PersonaSpec.objects.filter(twin=locked_twin, version=version).exists():
            raise Conflict(f"Version {version} of this twin already exists.",
                           errors=[{"path": "/version", "message": f"version {version} already exists"}])
        stored = {**spec, "version": version, "schema_version": spec.get("schema_version", 1)}
        if len(canonical_json(stored).encode("utf-8")) > MAX_SPEC_BYTES:  # the version was added after validation
            raise ValidationFailed("The persona spec is too large.", errors=[
                {"path": "", "message": f"the stored spec must be at most {MAX_SPEC_BYTES} bytes"}])
        major, minor, patch = parse_semver(version)
        try:
            with transaction.atomic():
                persona_spec = PersonaSpec.objects.create(
                    twin=locked_twin, version=version, version_major=major, version_minor=minor,
                    version_patch=patch, spec=stored, spec_hash=spec_hash(stored), source=source, notes=notes,
                    created_by=actor,
                )
        except IntegrityError:  # the unique (twin, version) constraint is the last word
            raise Conflict(f"Version {version} of this twin already exists.") from None
        _audit(actor=actor, action=audit_action, channel=channel, twin=locked_twin, persona_spec=persona_spec,
               details={"source": source, **(audit_details or {})})
    return persona_spec


def persona_spec_generate(
    *, twin: Twin, actor, notes: str = "", auto_publish: bool = False, channel: str = AuditEvent.Channel.API,
) -> GenerateResult:
    """Draft a spec from the twin's settings and approved memories; publish it too if asked."""
    if auto_publish and not can_publish_spec(actor, twin):
        raise PermissionDenied("You may not publish persona specs of this twin.")
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
        published = persona_spec_publish(persona_spec=persona_spec, actor=actor, channel=channel) if auto_publish else None
    return GenerateResult(published.persona_spec if published else persona_spec, generated_from, published)


def persona_spec_duplicate(*, persona_spec: PersonaSpec, actor, channel: str = AuditEvent.Channel.ADMIN,
                           notes: str = "") -> PersonaSpec:
    """A new draft with the same content, at the twin's next patch version."""
    content = {key: value for key, value in persona_spec.spec.items() if key != "version"}
    return persona_spec_create(
        twin=persona_spec.twin, actor=actor, spec=content, source=PersonaSpec.Source.DUPLICATE, channel=channel,
        notes=notes or f"Duplicate of {persona_spec.version}.", audit_details={"duplicate_of": persona_spec.version},
    )


def persona_spec_publish(*, persona_spec: PersonaSpec, actor, channel: str = AuditEvent.Channel.API,
                         expected_active_version: str | None | object = UNCHECKED) -> PublishResult:
    """Make `persona_spec` the twin's active version; publishing an archived version is a rollback.

    One transaction: lock the twin row (so concurrent publishes of one twin run one after another),
    archive the current active version, activate the target, stamp it, write the audit event. The
    compiled-prompt cache is refreshed once the transaction commits. Publishing the active version
    again changes nothing and writes nothing.

    With `expected_active_version` (a version, or None for "no active version"), the publish happens
    only if that is still the twin's active version once the row is locked: a reviewer who confirmed
    "1.0.3 replaces 1.0.2" never silently replaces a 1.0.4 someone published meanwhile.
    """
    twin = persona_spec.twin
    if not can_publish_spec(actor, twin):
        raise PermissionDenied("You may not publish persona specs of this twin.")

    with transaction.atomic():
        Twin.objects.select_for_update().filter(pk=twin.pk).first()
        target = PersonaSpec.objects.select_for_update().get(pk=persona_spec.pk)
        if expected_active_version is not UNCHECKED:
            current = (PersonaSpec.objects.filter(twin_id=twin.pk, status=PersonaSpec.Status.ACTIVE)
                       .values_list("version", flat=True).first())
            if current != expected_active_version:
                raise ActiveVersionChanged(
                    f"The active version is now {current or 'none'}, not {expected_active_version or 'none'}.",
                    errors=[{"path": "/expected_active_version", "message": f"active version is {current}"}])
        if target.status == PersonaSpec.Status.ACTIVE:
            return PublishResult(target, target.version, changed=False)
        try:
            precompile(target.spec)
        except SpecValidationError as exc:
            raise Conflict(f"Version {target.version} does not compile and cannot be published.",
                           errors=exc.errors) from None

        previous = (
            PersonaSpec.objects.select_for_update()
            .filter(twin_id=twin.pk, status=PersonaSpec.Status.ACTIVE)
            .first()
        )
        if previous is not None:
            previous.status = PersonaSpec.Status.ARCHIVED
            previous.save(update_fields=["status"])

        is_rollback = target.status == PersonaSpec.Status.ARCHIVED
        target.status = PersonaSpec.Status.ACTIVE
        target.published_at = timezone.now()
        target.published_by = actor
        target.save(update_fields=["status", "published_at", "published_by"])

        _audit(
            actor=actor, action=AuditEvent.Action.ROLLBACK if is_rollback else AuditEvent.Action.PUBLISH,
            channel=channel, twin=twin, persona_spec=target,
            previous_version=previous.version if previous else "",
        )
        transaction.on_commit(lambda: _refresh_active_cache(twin.pk))
    return PublishResult(target, previous.version if previous else None, changed=True)


def _refresh_active_cache(twin_id) -> None:
    from personas.selectors import active_spec_cache_refresh

    try:
        active_spec_cache_refresh(twin_id)
    except Exception:  # the commit stands; the next request fills the cache from the database
        logger.exception("could not refresh the active persona spec cache for twin %s", twin_id)


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


def _audit(*, actor, action, channel, twin, persona_spec=None, previous_version="", details=None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor, actor_username=getattr(actor, "username", "") or "", action=action, channel=channel, twin=twin,
        persona_spec=persona_spec, version=persona_spec.version if persona_spec else "",
        previous_version=previous_version or "", details=details or {},
    )
