"""Versioned persona specs and their append-only audit trail, in each tenant's schema.

Invariants the database keeps, whatever the application does:
- (twin, version) is unique and version is MAJOR.MINOR.PATCH;
- at most one version per twin is `active` (partial unique index);
- a stored version's content (twin, version, spec, spec_hash, source) never changes (trigger);
- audit events are never updated or deleted (trigger).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from personas.spec import SEMVER_RE

NOTES_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 2000
SEMVER_SQL_PATTERN = SEMVER_RE.pattern  # POSIX-compatible: anchors, groups, \d

# Semver by its integer parts: 1.0.10 is newer than 1.0.9, and timestamps can tie.
SEMVER_NEWEST_FIRST = ("-version_major", "-version_minor", "-version_patch")


class PersonaSpecQuerySet(models.QuerySet):
    """The named reads of versions; every "active version" and "newest first" query goes through these."""

    def of_twin(self, twin_or_id) -> PersonaSpecQuerySet:
        return self.filter(twin_id=getattr(twin_or_id, "pk", twin_or_id))

    def active(self) -> PersonaSpecQuerySet:
        return self.filter(status=PersonaSpec.Status.ACTIVE)

    def drafts(self) -> PersonaSpecQuerySet:
        return self.filter(status=PersonaSpec.Status.DRAFT)

    def newest_first(self) -> PersonaSpecQuerySet:
        return self.order_by(*SEMVER_NEWEST_FIRST)


class PersonaSpec(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        GENERATED = "generated", "Generated from twin data"
        IMPORTED = "imported", "Imported"
        DUPLICATE = "duplicate", "Duplicate of another version"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    twin = models.ForeignKey("twins.Twin", on_delete=models.CASCADE, related_name="persona_specs")
    version = models.CharField(max_length=40)
    version_major = models.PositiveIntegerField()
    version_minor = models.PositiveIntegerField()
    version_patch = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    spec = models.JSONField()
    spec_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    notes = models.TextField(blank=True, max_length=NOTES_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PersonaSpecQuerySet.as_manager()

    class Meta:
        ordering = ["twin", *SEMVER_NEWEST_FIRST]
        permissions = [
            ("publish_personaspec", "Can publish and roll back persona spec versions"),
            ("approve_personaspec", "Can approve or request changes on persona spec versions of others"),
            ("override_publish_gate", "Can publish despite a failing evaluation gate, with a reason"),
        ]
        indexes = [
            models.Index(
                fields=["twin", "-version_major", "-version_minor", "-version_patch"], name="persona_spec_twin_semver"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["twin", "version"], name="uniq_persona_spec_twin_version"),
            models.UniqueConstraint(
                fields=["twin"], condition=models.Q(status="active"), name="one_active_persona_spec_per_twin"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "active", "archived"]), name="persona_spec_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(version__regex=SEMVER_SQL_PATTERN), name="persona_spec_version_semver"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.twin} v{self.version} ({self.status})"

    @property
    def semver(self) -> tuple[int, int, int]:
        return self.version_major, self.version_minor, self.version_patch


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", "Create"
        GENERATE = "generate", "Generate"
        PUBLISH = "publish", "Publish"
        ROLLBACK = "rollback", "Roll back"
        REPUBLISH = "republish", "Re-publish"
        GATE_OVERRIDE = "gate_override", "Publish gate overridden"
        IMPORT = "import", "Import"
        # Recorded by the governance app (approvals, publish policies); personas never imports it.
        APPROVE = "approve", "Approve"
        REQUEST_CHANGES = "request_changes", "Request changes"
        POLICY_CHANGE = "policy_change", "Publish policy change"

    class Channel(models.TextChoices):
        API = "api", "API"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command"

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # Kept as text too, so the trail still names who acted after a user is deleted.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    twin = models.ForeignKey("twins.Twin", on_delete=models.PROTECT, related_name="audit_events")
    persona_spec = models.ForeignKey(PersonaSpec, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=40, blank=True)
    previous_version = models.CharField(max_length=40, blank=True)
    # Why the actor did it, in their words (publish, rollback, re-publish): shown in the audit trail.
    reason = models.TextField(blank=True, max_length=REASON_MAX_LENGTH)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["twin", "-created_at"], name="audit_event_twin_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=["create", "generate", "publish", "rollback", "republish", "import",
                                               "approve", "request_changes", "policy_change", "gate_override"]),
                name="audit_event_action_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=["api", "admin", "command"]), name="audit_event_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.twin} v{self.version} by {self.actor_username or 'system'}"
