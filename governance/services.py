"""Every write of the governance app: a reviewer's decision on a version, a change of a publish policy.

The API, the admin and commands call these, so each change has one path, one permission check and
one audit entry. Keyword arguments only, one transaction each, `core.errors` exceptions for refusals.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from core.errors import Conflict, PermissionDenied, ValidationFailed
from governance.models import COMMENT_MAX_LENGTH, POLICY_FIELDS, Approval, PolicyChange, PublishPolicy
from governance.selectors import EffectivePolicy, PolicySource, publish_policy_for
from personas.audit import audit_event_record
from personas.models import AuditEvent, PersonaSpec
from personas.permissions import SpecAction, require
from twins.models import Twin

CHANGE_POLICY_PERMISSION = "governance.change_publishpolicy"
POLICY_REFUSAL = ("You may not change publish policies: that needs the permission "
                  "“Can change publish policy”, whoever owns the twin.")


@transaction.atomic
def approval_record(*, persona_spec: PersonaSpec, reviewer, decision: str, comment: str = "",
                    channel: str = AuditEvent.Channel.API) -> Approval:
    """Record `reviewer`'s decision on a draft version, bound to the content it has now.

    Refused: without the approve permission (the owner rule does not apply: 403), by the version's
    author (403), a request for changes without a comment (400), a version that is not a draft (409).
    """
    twin = persona_spec.twin
    require(reviewer, SpecAction.APPROVE, twin)
    if persona_spec.created_by_id is not None and persona_spec.created_by_id == reviewer.pk:
        raise PermissionDenied(f"You wrote version {persona_spec.version}: someone else must review it.")
    comment = (comment or "").strip()
    errors = []
    if decision not in Approval.Decision.values:
        errors.append({"path": "/decision", "message": f"must be one of: {', '.join(Approval.Decision.values)}"})
    if len(comment) > COMMENT_MAX_LENGTH:
        errors.append({"path": "/comment", "message": f"at most {COMMENT_MAX_LENGTH} characters"})
    elif decision == Approval.Decision.REQUEST_CHANGES and not comment:
        errors.append({"path": "/comment", "message": "say what should change: a request for changes needs a comment"})
    if errors:
        raise ValidationFailed("The review is invalid.", errors=errors)

    # The version's row lock orders this decision against a concurrent publish (which locks it too)
    # and numbers it after every earlier decision on the version.
    locked = PersonaSpec.objects.select_for_update().get(pk=persona_spec.pk)
    if locked.status != PersonaSpec.Status.DRAFT:
        raise Conflict(
            f"Version {locked.version} is {locked.get_status_display().lower()}: only drafts can be reviewed. "
            f"To change what goes live, review a new draft (duplicate this version).",
            errors=[{"path": "", "message": f"version {locked.version} is not a draft"}],
        )
    last = Approval.objects.filter(persona_spec=locked).aggregate(last=Max("sequence"))["last"] or 0
    approval = Approval.objects.create(
        persona_spec=locked, sequence=last + 1, spec_hash=locked.spec_hash, reviewer=reviewer,
        reviewer_username=reviewer.username, decision=decision, comment=comment,
    )
    audit_event_record(
        actor=reviewer, action=decision, channel=channel, twin=twin, persona_spec=locked, reason=comment,
        details={"decision": decision, "comment": comment, "spec_hash": locked.spec_hash,
                 "approval_id": str(approval.pk)},
    )
    return approval


def may_change_publish_policies(user) -> bool:
    """A role of its own: a twin's owner must not be able to switch off their own twin's approvals."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active
                and user.has_perm(CHANGE_POLICY_PERMISSION))


@transaction.atomic
def publish_policy_update(*, twin: Twin | None, actor, channel: str = AuditEvent.Channel.API,
                          **fields) -> EffectivePolicy:
    """Set the publish policy of `twin` (None: the tenant's default) and return it.

    Keys not given keep the values the twin follows now (its own, or those it inherited). A change is
    recorded in the policy log (`PolicyChange`) and, for a twin, in its audit trail (`policy_change`,
    with the policy before and after); a request that changes nothing writes nothing.
    """
    if not may_change_publish_policies(actor):
        raise PermissionDenied(POLICY_REFUSAL)
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationFailed("Unknown publish policy keys.", errors=[
            {"path": f"/{key}", "message": f"not a policy key (known: {', '.join(POLICY_FIELDS)})"} for key in unknown])

    if twin is not None:  # concurrent changes of one twin's policy run one after the other
        twin = Twin.objects.select_for_update().get(pk=twin.pk)
    before = publish_policy_for(twin)
    if before.source == (PolicySource.TWIN if twin is not None else PolicySource.TENANT):
        row = PublishPolicy.objects.select_for_update().get(pk=before.row.pk)
    else:
        row = PublishPolicy(twin=twin, **before.values())
    for key, value in fields.items():
        setattr(row, key, value)
    _validate(row)
    after = EffectivePolicy(row, PolicySource.TWIN if twin is not None else PolicySource.TENANT)
    if row.pk is not None and after.values() == before.values():
        return before

    row.updated_by = actor
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another request created the tenant default meanwhile
        raise Conflict("The publish policy was changed at the same time by someone else: try again.") from None
    _record_policy_change(actor=actor, channel=channel, twin=twin, before=before, after=after)
    return after


@transaction.atomic
def publish_policy_remove(*, twin: Twin, actor, channel: str = AuditEvent.Channel.API) -> EffectivePolicy:
    """Remove `twin`'s own publish policy: it follows the tenant's default again (or the built-in
    defaults). Returns the policy it follows now.

    The same permission as a change, and recorded like one (`PolicyChange`, and a `policy_change`
    audit event whose `after` says where the policy now comes from). A twin without a policy of its
    own is left as it is, and nothing is written.
    """
    if not may_change_publish_policies(actor):
        raise PermissionDenied(POLICY_REFUSAL)
    twin = Twin.objects.select_for_update().get(pk=twin.pk)  # one change of a twin's policy at a time
    before = publish_policy_for(twin)
    if before.source != PolicySource.TWIN:
        return before
    before.row.delete()
    after = publish_policy_for(twin)
    _record_policy_change(actor=actor, channel=channel, twin=twin, before=before, after=after)
    return after


def _record_policy_change(*, actor, channel: str, twin: Twin | None, before: EffectivePolicy,
                          after: EffectivePolicy) -> None:
    """In the policy log, and for a twin in its audit trail too (the tenant default belongs to no twin)."""
    details = {"before": before.described(), "after": after.described()}
    PolicyChange.objects.create(actor=actor, actor_username=actor.username, channel=channel, twin=twin, **details)
    if twin is not None:
        audit_event_record(actor=actor, action=AuditEvent.Action.POLICY_CHANGE, channel=channel, twin=twin,
                           details=details)


def _validate(row: PublishPolicy) -> None:
    try:
        row.full_clean(exclude=["twin", "updated_by"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed("The publish policy is invalid.", errors=[
            {"path": f"/{key}", "message": message} for key, messages in exc.message_dict.items()
            for message in messages]) from None
