"""Conversations with a twin and their messages; every assistant message carries its trace."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

MESSAGE_MAX_LENGTH = 8000


class Conversation(models.Model):
    class Context(models.TextChoices):
        OWNER_CHAT = "owner_chat", "Owner chat"
        OWNER_TRAINING = "owner_training", "Owner training"
        PUBLIC_SHARE = "public_share", "Public share"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    twin = models.ForeignKey("twins.Twin", on_delete=models.CASCADE, related_name="conversations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    interaction_context = models.CharField(max_length=32, choices=Context.choices, default=Context.OWNER_CHAT)
    title = models.CharField(max_length=120, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]
        indexes = [models.Index(fields=["twin", "user", "-updated"], name="conversation_twin_user_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interaction_context__in=["owner_chat", "owner_training", "public_share"]),
                name="conversation_context_valid",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.id}"


class MessageQuerySet(models.QuerySet):
    def with_compliance_score(self) -> MessageQuerySet:
        """Annotated with `compliance_score`: the reply's trace.compliance.score as a float, NULL when
        it was not checked (legacy persona, replies from before the check, user messages)."""
        return self.annotate(compliance_score=Cast(KT("trace__compliance__score"), models.FloatField()))


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    id = models.BigAutoField(primary_key=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField()
    # On assistant messages: which spec version and prompt produced the reply (DESIGN.md, chat runtime).
    trace = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["conversation", "created", "id"], name="message_conversation_order"),
            # "Which replies did version X produce?" (a version's usage on its review page).
            models.Index(KT("trace__persona_spec_version"), "conversation", name="message_trace_spec_version"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=["user", "assistant"]), name="message_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"


class PromptSnapshot(models.Model):
    """A system prompt exactly as it was sent, stored once per fingerprint (sha256 of the text).

    Messages point at it through `trace["prompt_fingerprint"]`, so each reply links to its prompt
    while equal prompts are stored once.
    """

    fingerprint = models.CharField(max_length=64, primary_key=True)
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.fingerprint[:12]
