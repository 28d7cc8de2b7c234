"""Reads of the chat app: a user's conversations, their messages and the stored prompts they used.

Every read is scoped to the caller: another user's conversation, or one with another twin, is a
NotFound, never a row (no existence leak).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, QuerySet
from django.db.models.fields.json import KT

from chat.models import Conversation, Message, PromptSnapshot
from core.errors import NotFound
from personas.models import PersonaSpec
from twins.selectors import twin_list_for_user


def conversation_for(*, twin, user, conversation_id) -> Conversation:
    """The user's own conversation with this twin; NotFound for anyone else's or another twin's."""
    try:
        return Conversation.objects.get(pk=conversation_id, twin=twin, user=user)
    except (Conversation.DoesNotExist, ValueError, ValidationError):  # ValidationError: not a UUID
        raise NotFound("Conversation not found.") from None


def conversation_list_for(*, twin, user) -> QuerySet[Conversation]:
    """The user's conversations with this twin, most recently updated first."""
    return Conversation.objects.filter(twin=twin, user=user)


def conversation_messages(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.order_by("created", "id")


def prompt_snapshot_for(*, user, twin, fingerprint: str) -> PromptSnapshot:
    """A stored system prompt, for a user who received a reply of this twin made with it."""
    return prompt_use_for(user=user, twin=twin, fingerprint=fingerprint).snapshot


@dataclass(frozen=True)
class PromptUse:
    """A stored system prompt and the latest reply the user got with it (its trace names the version,
    the intent and the interaction context)."""

    snapshot: PromptSnapshot
    reply: Message


def prompt_use_for(*, user, twin, fingerprint: str) -> PromptUse:
    """NotFound unless the user received a reply of this twin made with that prompt."""
    reply = (
        Message.objects.filter(conversation__user=user, conversation__twin=twin, role=Message.Role.ASSISTANT,
                               trace__prompt_fingerprint=fingerprint)
        .order_by("-created", "-id").first()
    )
    snapshot = PromptSnapshot.objects.filter(pk=fingerprint).first() if reply else None
    if snapshot is None:
        raise NotFound("Prompt not found.")
    return PromptUse(snapshot, reply)


@dataclass(frozen=True)
class VersionUsage:
    replies: int
    last_used: datetime | None


def version_usage(*, twin_id, version: str) -> VersionUsage:
    """How many replies a version of the twin produced, and when it last did (one indexed query)."""
    usage = (
        Message.objects.alias(spec_version=KT("trace__persona_spec_version"))
        .filter(spec_version=version, conversation__twin_id=twin_id, role=Message.Role.ASSISTANT)
        .aggregate(replies=Count("id"), last_used=Max("created"))
    )
    return VersionUsage(usage["replies"], usage["last_used"])


def twin_rows_for_chat_list(user) -> list[dict]:
    """The active twins the user may chat with, each with its active spec version (None: legacy).

    Two queries whatever the number of twins: the twins, then their active versions.
    """
    twins = list(twin_list_for_user(user).filter(status="active"))
    active_versions = dict(
        PersonaSpec.objects.filter(twin__in=twins).active().values_list("twin_id", "version")
    )
    return [{"twin": twin, "active_version": active_versions.get(twin.pk)} for twin in twins]
