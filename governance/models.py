"""Publish policies and approvals, in each tenant's schema.

Invariants the database keeps, whatever the application does:
- a twin has at most one policy (one-to-one), and the tenant at most one default (the row without a
  twin: partial unique index); `approvals_required` is between 1 and 10;
- an approval is a decision on one version, bound to the `spec_hash` it had when it was taken; a
  request for changes carries a comment; approvals are numbered per version (`sequence`, unique), so
  "a reviewer's latest decision" never depends on timestamps;
- approvals and policy changes are append-only (triggers): only their user column may become NULL,
  when that user is deleted (the username is kept as text).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from personas.models import AuditEvent

COMMENT_MAX_LENGTH = 2000
MAX_APPROVALS_REQUIRED = 10

# The keys of a publish policy, in the order every channel shows them. The serializers, the admin and
# the audit trail's before/after all read this tuple: a new key (require_evaluation, min_pass_rate,
# ...) is a model field, a migration and an entry here.
POLICY_FIELDS = ("require_approval", "approvals_required", "require_evaluation", "min_pass_rate", "allow_regressions",
                 "min_compliance")
# Keys added after the first release: a PUT that leaves them out keeps their current values.
OPTIONAL_POLICY_FIELDS = ("require_evaluation", "min_pass_rate", "allow_regressions", "min_compliance")


class PublishPolicy(models.Model):
    """What a version needs before it may go live. The row without a twin is the tenant's default; a
    twin's own row replaces it whole for that twin (`governance.selectors.publish_policy_for`)."""

    twin = models.OneToOneField("twins.Twin", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="publish_policy",
                                help_text="Empty: the tenant-wide default, for every twin without a policy of its own.")
    require_approval = models.BooleanField(
        default=False, help_text="A version may be published only after enough reviewers approved its exact content.")
    approvals_required = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_APPROVALS_REQUIRED)],
        help_text=f"Distinct reviewers, other than the version's author (1 to {MAX_APPROVALS_REQUIRED}).")
    # The evaluation gate (the evaluations app reads these): a version goes live only with a finished
    # run of its exact content that meets them (docs/evaluation.md).
    require_evaluation = models.BooleanField(
        default=False, help_text="A version may be published only with a finished evaluation run of its exact "
                                 "content that meets the keys below (overridable, with a reason, by who may).")
    min_pass_rate = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of the run's cases that must pass, 0 to 1.")
    allow_regressions = models.BooleanField(
        default=False, help_text="Allow cases that passed for the active version to fail for the new one.")
    min_compliance = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Mean persona compliance the run must reach, 0 to 1; empty: not checked (spec examples "
                  "still need 0.7 each).")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = "publish policy"
        verbose_name_plural = "publish policies"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(models.Value(True), condition=models.Q(twin__isnull=True),
                                    name="one_tenant_default_publish_policy",
                                    violation_error_message="The tenant already has a default publish policy."),
            models.CheckConstraint(
                condition=models.Q(approvals_required__gte=1, approvals_required__lte=MAX_APPROVALS_REQUIRED),
                name="publish_policy_approvals_required_1_10",
            ),
            models.CheckConstraint(condition=models.Q(min_pass_rate__gte=0, min_pass_rate__lte=1),
                                   name="publish_policy_min_pass_rate_0_1"),
            models.CheckConstraint(condition=models.Q(min_compliance__isnull=True)
                                   | models.Q(min_compliance__gte=0, min_compliance__lte=1),
                                   name="publish_policy_min_compliance_0_1"),
        ]

    def __str__(self) -> str:
        return f"Publish policy of {self.twin}" if self.twin_id else "Tenant default publish policy"

    def values(self) -> dict:
        return {field: getattr(self, field) for field in POLICY_FIELDS}


class Approval(models.Model):
    """One reviewer's decision on one version: approve it, or request changes (with a comment)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REQUEST_CHANGES = "request_changes", "Request changes"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    persona_spec = models.ForeignKey("personas.PersonaSpec", on_delete=models.PROTECT, related_name="approvals")
    # The decision's place among the decisions on this version: 1, 2, 3, ... (the version row is locked
    # while it is assigned).
    sequence = models.PositiveIntegerField()
    # The version's content hash when the decision was taken: an approval counts only for that content.
    spec_hash = models.CharField(max_length=64)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    reviewer_username = models.CharField(max_length=150)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["persona_spec", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["persona_spec", "sequence"], name="uniq_approval_sequence_per_version"),
            models.CheckConstraint(condition=models.Q(decision__in=["approve", "request_changes"]),
                                   name="approval_decision_valid"),
            models.CheckConstraint(condition=models.Q(decision="approve") | ~models.Q(comment=""),
                                   name="approval_request_changes_has_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.persona_spec.version} by {self.reviewer_username}"

    @property
    def matches_current_content(self) -> bool:
        """Whether the decision was taken on the content the version has now."""
        return self.spec_hash == self.persona_spec.spec_hash


class PolicyChange(models.Model):
    """Every change of a publish policy, the tenant default's included (an AuditEvent needs a twin, so
    the twin's own audit trail records its policy changes too, and this log records them all)."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_username = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=16, choices=AuditEvent.Channel.choices)
    twin = models.ForeignKey("twins.Twin", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="Empty: the tenant default changed.")
    before = models.JSONField(help_text="The policy in force before, with where it came from.")
    after = models.JSONField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(channel__in=["api", "admin", "command"]),
                                   name="policy_change_channel_valid"),
        ]

    def __str__(self) -> str:
        scope = self.twin if self.twin_id else "tenant default"
        return f"Publish policy of {scope} changed by {self.actor_username or 'system'}"
