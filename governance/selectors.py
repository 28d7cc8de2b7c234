"""Reads of publish policies and approvals: the effective policy of a twin, and where a version stands
against it. The publish check, the API, the admin panel and the twin page all read through these, so
"is this version approved enough" has one answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from governance.models import POLICY_FIELDS, Approval, PublishPolicy
from personas.models import PersonaSpec
from personas.permissions import SpecAction, require, users_who_may


class PolicySource:
    TWIN = "twin"  # the twin's own policy
    TENANT = "tenant"  # the tenant's default
    DEFAULT = "default"  # nothing stored: the built-in defaults (no approval required)

    CHOICES = [(TWIN, "this twin's own policy"), (TENANT, "the tenant's default policy"),
               (DEFAULT, "the built-in default")]


@dataclass(frozen=True)
class EffectivePolicy:
    """The policy a twin's versions follow, and where it comes from. `row` is the stored policy, or
    an unsaved `PublishPolicy()` holding the built-in defaults; the policy keys read through to it."""

    row: PublishPolicy
    source: str

    def __getattr__(self, name):
        if name in POLICY_FIELDS:
            return getattr(self.row, name)
        raise AttributeError(name)

    @property
    def updated_at(self):
        return self.row.updated_at

    @property
    def updated_by(self):
        return self.row.updated_by

    @property
    def approvals_needed(self) -> int:
        """How many approvals a version needs before it may be published: 0 when none are required."""
        return self.row.approvals_required if self.row.require_approval else 0

    def values(self) -> dict:
        return self.row.values()

    def described(self) -> dict:
        """What the audit trail records as "before" and "after": the keys and where they came from."""
        return {**self.values(), "source": self.source}


def tenant_default_policy() -> PublishPolicy | None:
    return PublishPolicy.objects.select_related("updated_by").filter(twin__isnull=True).first()


def publish_policy_for(twin) -> EffectivePolicy:
    """The twin's own policy if it has one, else the tenant's default, else the built-in defaults.
    A twin's own policy replaces the default whole (no key-by-key merge): what it says is what holds.
    One query: both candidate rows at once."""
    scope = Q(twin__isnull=True) if twin is None else Q(twin=twin) | Q(twin__isnull=True)
    rows = list(PublishPolicy.objects.select_related("updated_by").filter(scope)[:2])
    own = next((row for row in rows if row.twin_id is not None), None)
    if own is not None:
        return EffectivePolicy(own, PolicySource.TWIN)
    default = next((row for row in rows if row.twin_id is None), None)
    if default is not None:
        return EffectivePolicy(default, PolicySource.TENANT)
    return EffectivePolicy(PublishPolicy(), PolicySource.DEFAULT)


def publish_policy_for_candidate(candidate) -> EffectivePolicy:
    """The policy of a publish candidate, read once however many publish checks ask for it."""
    return candidate.memo(("governance.publish_policy", candidate.twin.pk), lambda: publish_policy_for(candidate.twin))


def tenant_publish_policy() -> EffectivePolicy:
    """The tenant's default (stored or built-in): what a twin without a policy of its own follows."""
    return publish_policy_for(None)


# --- approvals ------------------------------------------------------------------------------------

def approvals_of(persona_spec) -> QuerySet[Approval]:
    """Every decision on the version, newest first."""
    return Approval.objects.filter(persona_spec=persona_spec).select_related("persona_spec").order_by("-sequence")


def approval_list(*, persona_spec, user) -> QuerySet[Approval]:
    """The decisions on a version, for whoever may view the twin's specs."""
    require(user, SpecAction.VIEW, persona_spec.twin)
    return approvals_of(persona_spec)


@dataclass(frozen=True)
class ApprovalStatus:
    """Where a version stands against its twin's policy.

    Each reviewer counts once, by their latest decision on the version. An approval counts only if it
    was taken on the content the version has (its spec_hash) and not by the version's author; any
    reviewer whose latest decision is a request for changes blocks, until that reviewer approves.
    """

    persona_spec: PersonaSpec
    policy: EffectivePolicy
    approved_by: list[str]
    # (username, comment) of each reviewer whose latest decision asks for changes, newest first.
    changes_requested: list[tuple[str, str]] = field(default_factory=list)

    @property
    def required(self) -> int:
        return self.policy.approvals_needed

    @property
    def changes_requested_by(self) -> list[str]:
        return [username for username, _ in self.changes_requested]

    @property
    def missing(self) -> int:
        return max(self.required - len(self.approved_by), 0)

    @property
    def satisfied(self) -> bool:
        return not self.required or (not self.missing and not self.changes_requested)

    def reviewers_to_ask(self) -> list[str]:
        """Who may still approve: holders of the approve permission, minus the author and those who did."""
        author = self.persona_spec.created_by.username if self.persona_spec.created_by_id else None
        done = set(self.approved_by) | set(self.changes_requested_by) | {author}
        return [name for name in users_who_may(SpecAction.APPROVE, self.persona_spec.twin) if name not in done]


def approval_status(persona_spec, policy: EffectivePolicy | None = None) -> ApprovalStatus:
    policy = policy or publish_policy_for(persona_spec.twin)
    latest: dict[object, Approval] = {}
    for approval in approvals_of(persona_spec):
        # A deleted reviewer's decisions keep their username; they still count as theirs.
        who = approval.reviewer_id or f"deleted:{approval.reviewer_username}"
        latest.setdefault(who, approval)
    approved_by, changes_requested = [], []
    for who, approval in latest.items():
        if approval.decision == Approval.Decision.REQUEST_CHANGES:
            changes_requested.append((approval.reviewer_username, approval.comment))
        elif approval.spec_hash == persona_spec.spec_hash and who != persona_spec.created_by_id:
            approved_by.append(approval.reviewer_username)
    return ApprovalStatus(persona_spec, policy, sorted(approved_by), changes_requested)
