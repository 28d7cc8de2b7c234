"""The lifecycle of a persona spec version: one object per transition, as Wagtail does with its actions.

    PUBLISH    a version newer than the active one (or the first) goes live: "publish" for a draft,
               "republish" for a version that was live before
    ROLLBACK   a version older than the active one goes live again
    DUPLICATE  a version's content becomes a new draft at the twin's next patch version

Each transition says whether it may happen — `check(user, persona_spec)` returns a `Verdict` with
every reason it may not (permission, status, the registered publish checks) — and makes it happen
— `execute(...)`: one transaction, the twin's row lock, the audit event, the cache refresh after
commit. The API, the admin and management commands all call these, so a rule cannot differ between
channels. `publish_transition_for(persona_spec)` picks PUBLISH or ROLLBACK for a "make this version
active" request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, PermissionDenied, ValidationFailed
from personas.audit import audit_event_record
from personas.compiler import precompile
from personas.models import REASON_MAX_LENGTH, AuditEvent, PersonaSpec
from personas.permissions import REFUSALS, SpecAction, may, require
from personas.publish_checks import PublishBlock, PublishCandidate, publish_blocks
from personas.spec import SpecValidationError
from twins.models import Twin

logger = logging.getLogger(__name__)

# Sentinel: the caller does not condition the publish on the current active version.
UNCHECKED = object()


class ActiveVersionChanged(Conflict):
    """The caller confirmed a publish against an active version that is no longer the active one."""


class PublishBlocked(Conflict):
    """A registered publish check refuses the version; `blocks` says which and why."""

    def __init__(self, message: str, *, blocks):
        self.blocks = list(blocks)
        super().__init__(message, errors=[{"path": "", "message": block.message, "check": block.check}
                                          for block in self.blocks])


@dataclass(frozen=True)
class Refusal:
    """One reason a transition may not happen, with the status code it means on the API."""

    code: str  # "permission", "status", or "check:<name>" for a registered publish check
    message: str
    status_code: int = 409
    errors: tuple[dict, ...] = ()
    block: PublishBlock | None = None  # the publish check's own answer, for "check:" refusals


@dataclass(frozen=True)
class Verdict:
    refusals: tuple[Refusal, ...] = ()
    action: str = ""  # the audit action the transition would record

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def messages(self) -> list[str]:
        return [refusal.message for refusal in self.refusals]

    def raise_if_refused(self) -> None:
        """The first refusal as the project's domain error (403 before 409), every message kept."""
        if self.allowed:
            return
        first = sorted(self.refusals, key=lambda refusal: refusal.status_code != 403)[0]
        errors = [error for refusal in self.refusals for error in refusal.errors] or [
            {"path": "", "message": refusal.message} for refusal in self.refusals]
        error_class = PermissionDenied if first.status_code == 403 else Conflict
        raise error_class(first.message, errors=errors)


@dataclass(frozen=True)
class PublishResult:
    persona_spec: PersonaSpec
    previous_active_version: str | None
    changed: bool
    action: str = ""  # "publish", "republish", "rollback"; "" when nothing changed

    @property
    def status(self) -> str:
        return self.persona_spec.status


def _active_of(twin_id, *, lock: bool = False) -> PersonaSpec | None:
    versions = PersonaSpec.objects.of_twin(twin_id).active()
    return (versions.select_for_update() if lock else versions).first()


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed("The reason is too long.", errors=[
            {"path": "/reason", "message": f"at most {REASON_MAX_LENGTH} characters"}])
    return reason


@dataclass(frozen=True)
class _MakeActive:
    """Shared by PUBLISH and ROLLBACK: the target becomes the twin's one active version."""

    name: str
    verb: str  # for the admin's messages: "publish", "roll back to"
    verb_phrase: str  # "be published", "be rolled back to"

    permission = SpecAction.PUBLISH

    def applies_to(self, target: PersonaSpec, active: PersonaSpec | None) -> bool:
        raise NotImplementedError

    def audit_action(self, target: PersonaSpec) -> str:
        raise NotImplementedError

    def check(self, user, persona_spec: PersonaSpec, *, active: PersonaSpec | None | object = UNCHECKED,
              channel: str = AuditEvent.Channel.API, options: dict | None = None) -> Verdict:
        """Whether `user` may make `persona_spec` active now, and every reason why not."""
        if active is UNCHECKED:
            active = _active_of(persona_spec.twin_id)
        refusals = []
        if not may(user, self.permission, persona_spec.twin):
            refusals.append(Refusal("permission", REFUSALS[self.permission], 403))
        status = self._status_refusal(persona_spec, active)
        if status is not None:
            return Verdict((*refusals, status))
        action = self.audit_action(persona_spec)
        candidate = PublishCandidate(persona_spec=persona_spec, active=active, actor=user, channel=channel,
                                     action=action, options=dict(options or {}))
        refusals.extend(
            Refusal(f"check:{block.check}", block.message, 409,
                    ({"path": "", "message": block.message, "check": block.check},), block)
            for block in publish_blocks(candidate)
        )
        return Verdict(tuple(refusals), action)

    def _status_refusal(self, target: PersonaSpec, active: PersonaSpec | None) -> Refusal | None:
        if target.status == PersonaSpec.Status.ACTIVE:
            return Refusal("status", f"Version {target.version} is already the active version.")
        if not self.applies_to(target, active):
            return Refusal("status", self.wrong_direction_message(target, active))
        return None

    def wrong_direction_message(self, target: PersonaSpec, active: PersonaSpec | None) -> str:
        raise NotImplementedError

    def execute(self, *, user, persona_spec: PersonaSpec, channel: str = AuditEvent.Channel.API, reason: str = "",
                expected_active_version: str | None | object = UNCHECKED, options: dict | None = None
                ) -> PublishResult:
        """Make `persona_spec` the twin's active version, or raise why not (see `_make_active`)."""
        return _make_active(lambda target, active: self, user=user, persona_spec=persona_spec, channel=channel,
                            reason=reason, expected_active_version=expected_active_version, options=options)


def _make_active(choose, *, user, persona_spec: PersonaSpec, channel: str, reason: str,
                 expected_active_version, options: dict | None) -> PublishResult:
    """One transaction: lock the twin row (concurrent publishes of one twin run one after another),
    choose the transition and check it again under the lock, archive the active version, activate the
    target, stamp it, write the audit event; the compiled-prompt cache moves once the transaction
    commits. Making the active version active again changes nothing and writes nothing.

    With `expected_active_version` (a version, or None for "no active version"), it happens only if
    that is still the active version under the lock: a reviewer who confirmed "1.0.3 replaces 1.0.2"
    never silently replaces a 1.0.4 published meanwhile.
    """
    reason = _clean_reason(reason)
    require(user, SpecAction.PUBLISH, persona_spec.twin)
    with transaction.atomic():
        twin = Twin.objects.select_for_update().select_related("owner").get(pk=persona_spec.twin_id)
        # After the twin's lock (a fresh snapshot, so a publish that just committed is seen), the
        # target and the active version in one locked read.
        target, previous = _target_and_active(twin, persona_spec.pk)
        if expected_active_version is not UNCHECKED:
            current = previous.version if previous else None
            if current != expected_active_version:
                raise ActiveVersionChanged(
                    f"The active version is now {current or 'none'}, not {expected_active_version or 'none'}.",
                    errors=[{"path": "/expected_active_version", "message": f"active version is {current}"}])
        if target.status == PersonaSpec.Status.ACTIVE:
            return PublishResult(target, target.version, changed=False)
        transition = choose(target, previous)
        verdict = transition.check(user, target, active=previous, channel=channel, options=options)
        blocks = [refusal.block for refusal in verdict.refusals if refusal.block is not None]
        overridden: list[PublishBlock] = []
        if blocks and len(blocks) == len(verdict.refusals):
            if _overriding(options) and all(block.overridable for block in blocks):
                _check_override(user, twin, reason)
                overridden = blocks
            else:
                raise PublishBlocked(
                    f"Version {target.version} cannot {transition.verb_phrase}: "
                    + " ".join(b.message for b in blocks), blocks=blocks)
        else:
            verdict.raise_if_refused()
        try:
            compiled = precompile(target.spec)
        except SpecValidationError as exc:
            raise Conflict(f"Version {target.version} does not compile and cannot be made active.",
                           errors=exc.errors) from None

        if previous is not None:
            previous.status = PersonaSpec.Status.ARCHIVED
            previous.save(update_fields=["status"])
        target.status = PersonaSpec.Status.ACTIVE
        target.published_at = timezone.now()
        target.published_by = user
        target.save(update_fields=["status", "published_at", "published_by"])
        audit_event_record(actor=user, action=verdict.action, channel=channel, twin=twin, persona_spec=target,
                           previous_version=previous.version if previous else "", reason=reason)
        if overridden:
            audit_event_record(
                actor=user, action=AuditEvent.Action.GATE_OVERRIDE, channel=channel, twin=twin, persona_spec=target,
                previous_version=previous.version if previous else "", reason=reason,
                details={"blocks": [{"check": b.check, "message": b.message, **b.details} for b in overridden]},
            )
        transaction.on_commit(lambda: _point_cache_at(target, compiled))
    return PublishResult(target, previous.version if previous else None, changed=True, action=verdict.action)


OVERRIDE_OPTION = "override_gate"


def _overriding(options: dict | None) -> bool:
    return bool((options or {}).get(OVERRIDE_OPTION))


def _check_override(user, twin, reason: str) -> None:
    """An override of overridable publish checks (the evaluation gate) is accountable: it needs the
    override permission, whoever owns the twin, and a reason; both are audited."""
    require(user, SpecAction.OVERRIDE_GATE, twin)
    if not reason:
        raise ValidationFailed("A reason is required to override the publish gate.",
                               errors=[{"path": "/reason", "message": "required with override_gate"}])


def _target_and_active(twin: Twin, target_pk) -> tuple[PersonaSpec, PersonaSpec | None]:
    """(target, the twin's active version or None), both rows locked; DoesNotExist without the target."""
    rows = list(
        PersonaSpec.objects.of_twin(twin.pk).select_for_update(of=("self",)).select_related("created_by")
        .filter(Q(pk=target_pk) | Q(status=PersonaSpec.Status.ACTIVE))
    )
    target = next((row for row in rows if row.pk == target_pk), None)
    if target is None:
        raise PersonaSpec.DoesNotExist(f"persona spec {target_pk} of twin {twin.pk} does not exist")
    active = next((row for row in rows if row.status == PersonaSpec.Status.ACTIVE), None)
    if active is not None and active.pk == target.pk:
        active = target
    for row in rows:
        row.twin = twin
    return target, active


def _point_cache_at(target: PersonaSpec, compiled) -> None:
    """After the commit: point every worker's cache at the new active version, with the compiled form
    checked inside the transaction (no query, no second compile)."""
    from personas.selectors import active_spec_cache_set

    try:
        active_spec_cache_set(target.twin_id, spec_id=target.pk, version=target.version,
                              spec_hash=target.spec_hash, spec=target.spec, compiled=compiled)
    except Exception:  # the commit stands; the next request fills the cache from the database
        logger.exception("could not refresh the active persona spec cache for twin %s", target.twin_id)


class Publish(_MakeActive):
    """A version newer than the active one (or the twin's first) goes live."""

    def applies_to(self, target, active) -> bool:
        return active is None or target.semver > active.semver

    def audit_action(self, target) -> str:
        # A version that was live before and comes back ahead of the active one is a re-publish.
        return AuditEvent.Action.REPUBLISH if target.published_at else AuditEvent.Action.PUBLISH

    def wrong_direction_message(self, target, active) -> str:
        return (f"Version {target.version} is older than the active version {active.version}: "
                f"making it active is a rollback.")


class Rollback(_MakeActive):
    """A version older than the active one goes live again."""

    def applies_to(self, target, active) -> bool:
        return active is not None and target.semver < active.semver

    def audit_action(self, target) -> str:
        return AuditEvent.Action.ROLLBACK

    def wrong_direction_message(self, target, active) -> str:
        if active is None:
            return f"The twin has no active version to roll back from: publish version {target.version} instead."
        return (f"Version {target.version} is newer than the active version {active.version}: "
                f"making it active is a publish, not a rollback.")


@dataclass(frozen=True)
class Duplicate:
    """A version's content becomes a new draft at the twin's next patch version; nothing goes live."""

    name: str = "duplicate"
    verb: str = "duplicate"
    permission = SpecAction.ADD

    def check(self, user, persona_spec: PersonaSpec, **_) -> Verdict:
        if may(user, self.permission, persona_spec.twin):
            return Verdict(action=AuditEvent.Action.CREATE)
        return Verdict((Refusal("permission", REFUSALS[self.permission], 403),))

    def execute(self, *, user, persona_spec: PersonaSpec, channel: str = AuditEvent.Channel.API,
                notes: str = "") -> PersonaSpec:
        # Imported here: services import this module (generate may publish), and a duplicate is a create.
        from personas.services import persona_spec_create

        self.check(user, persona_spec).raise_if_refused()
        content = {key: value for key, value in persona_spec.spec.items() if key != "version"}
        return persona_spec_create(
            twin=persona_spec.twin, actor=user, spec=content, source=PersonaSpec.Source.DUPLICATE, channel=channel,
            notes=notes or f"Duplicate of {persona_spec.version}.",
            audit_details={"duplicate_of": persona_spec.version},
        )


PUBLISH = Publish("publish", "publish", "be published")
ROLLBACK = Rollback("rollback", "roll back to", "be rolled back to")
DUPLICATE = Duplicate()

TRANSITIONS = {transition.name: transition for transition in (PUBLISH, ROLLBACK, DUPLICATE)}


def publish_transition_for(persona_spec: PersonaSpec, active: PersonaSpec | None | object = UNCHECKED) -> _MakeActive:
    """PUBLISH or ROLLBACK: whichever makes `persona_spec` active, given the twin's active version."""
    if active is UNCHECKED:
        active = _active_of(persona_spec.twin_id)
    return ROLLBACK if ROLLBACK.applies_to(persona_spec, active) else PUBLISH


def persona_spec_publish(*, persona_spec: PersonaSpec, actor, channel: str = AuditEvent.Channel.API,
                             reason: str = "", expected_active_version: str | None | object = UNCHECKED,
                             options: dict | None = None) -> PublishResult:
    """A "make this version active" request (the API's publish endpoint, commands): PUBLISH or ROLLBACK,
    chosen under the twin's row lock, so a concurrent publish cannot change the direction unseen."""
    return _make_active(lambda target, active: publish_transition_for(target, active), user=actor,
                        persona_spec=persona_spec, channel=channel, reason=reason,
                        expected_active_version=expected_active_version, options=options)
