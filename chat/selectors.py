"""Reads of the chat app: a user's conversations, their messages and the stored prompts they used.

Every read is scoped to the caller: another user's conversation, or one with another twin, is a
NotFound, never a row (no existence leak).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

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
    used = Message.objects.filter(
        conversation__user=user, conversation__twin=twin, trace__prompt_fingerprint=fingerprint
    ).exists()
    snapshot = PromptSnapshot.objects.filter(pk=fingerprint).first() if used else None
    if snapshot is None:
        raise NotFound("Prompt not found.")
    return snapshot


def twin_rows_for_chat_list(user) -> list[dict]:
    """The active twins the user may chat with, each with its active spec version (None: legacy).

    Two queries whatever the number of twins: the twins, then their active versions.
    """
    twins = list(twin_list_for_user(user).filter(status="active"))
    active_versions = dict(
        PersonaSpec.objects.filter(twin__in=twins).active().values_list("twin_id", "version")
    )
    return [{"twin": twin, "active_version": active_versions.get(twin.pk)} for twin in twins]
