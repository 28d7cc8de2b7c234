"""Digital twins and the owner's stated positions (memories), in each tenant's schema."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.input_limits import SafeJSONDecoder, SafeJSONEncoder

TWIN_NAME_MAX_LENGTH = 200

# The persona fields twins carried before persona specs existed. The chat runtime still falls back
# to them when a twin has no active spec, and spec generation starts from them.
LEGACY_SETTING_TYPES = {
    "persona_profile": str,
    "signature_phrases": list,
    "opinion_map": dict,
    "public_intro": str,
    "intent_profile": dict,
    "system_prompt": str,
}


class Twin(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=TWIN_NAME_MAX_LENGTH)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="twins")
    settings = models.JSONField(default=dict, blank=True, encoder=SafeJSONEncoder, decoder=SafeJSONDecoder, help_text="Legacy persona fields: " + ", ".join(LEGACY_SETTING_TYPES))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["active", "archived"]), name="twin_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Memory(models.Model):
    """A position the twin's owner stated; approved memories feed spec generation."""

    class Status(models.TextChoices):
        APPROVED = "approved", "Approved"
        PENDING = "pending", "Pending review"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    twin = models.ForeignKey(Twin, on_delete=models.CASCADE, related_name="memories")
    topic = models.CharField(max_length=200)
    value = models.TextField(max_length=4000)
    stance = models.CharField(max_length=100, blank=True)
    intensity = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(0), MaxValueValidator(10)])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic", "created_at"]
        verbose_name_plural = "memories"
        constraints = [
            models.CheckConstraint(condition=models.Q(intensity__gte=0, intensity__lte=10), name="memory_intensity_0_10"),
            models.CheckConstraint(
                condition=models.Q(status__in=["approved", "pending", "rejected"]), name="memory_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.twin}: {self.topic}"
