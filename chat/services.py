"""The chat app's writes: one chat turn (build the prompt, ask the provider, store both messages with
the trace) and the prompt-snapshot store it uses. Reads are in chat/selectors.py.

Nothing is written until the provider has answered: a failed turn leaves no orphan user message
and no empty conversation behind.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.db import connection, transaction

from chat.llm import ChatTurn
from chat.models import MESSAGE_MAX_LENGTH, Conversation, Message, PromptSnapshot
from chat.prompting import assemble_system_prompt
from chat.providers import configured_provider
from chat.runtime import answer
from chat.selectors import conversation_for
from chat.turn_writes import store_turn
from core.errors import ValidationFailed
from core.lru import BoundedLRU
from personas.prompting import default_interaction_context

logger = logging.getLogger(__name__)

HISTORY_TURNS = 20
TITLE_LENGTH = 80


@dataclass(frozen=True)
class ChatTurnResult:
    conversation: Conversation
    user_message: Message
    reply: Message


def chat_turn(*, twin, user, message: str, conversation_id=None, interaction_context: str | None = None,
              provider=None) -> ChatTurnResult:
    """Answer `message` as `twin`; raises ValidationFailed, NotFound, or chat.llm.LLMError."""
    message = (message or "").strip()
    if not message:
        raise ValidationFailed("The message is empty.", errors=[{"path": "/message", "message": "must not be empty"}])
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ValidationFailed("The message is too long.", errors=[
            {"path": "/message", "message": f"at most {MESSAGE_MAX_LENGTH} characters ({len(message)} given)"}])

    conversation = None
    history: list[ChatTurn] = []
    if conversation_id:
        conversation = conversation_for(twin=twin, user=user, conversation_id=conversation_id)
        recent = list(conversation.messages.order_by("-created", "-id").values_list("role", "content")[:HISTORY_TURNS])
        history = [ChatTurn(role, content) for role, content in reversed(recent)]
        interaction_context = conversation.interaction_context
    interaction_context = interaction_context or default_interaction_context(twin, user)

    prompt = assemble_system_prompt(twin, message, interaction_context)
    answered = answer(twin=twin, prompt=prompt, message=message, provider=provider or configured_provider(),
                      history=tuple(history))
    completion, trace = answered.completion, answered.trace

    is_new = conversation is None
    if is_new:
        conversation = Conversation(id=uuid.uuid4(), twin=twin, user=user, interaction_context=interaction_context,
                                    title=message[:TITLE_LENGTH])
    user_message = Message(conversation=conversation, role=Message.Role.USER, content=message)
    reply = Message(conversation=conversation, role=Message.Role.ASSISTANT, content=completion.text, trace=trace)
    # One statement, atomic by itself: no transaction round trips (chat/turn_writes.py).
    snapshot_key = f"{connection.schema_name}:{trace['prompt_fingerprint']}"
    snapshot = None if snapshot_key in stored_fingerprints else PromptSnapshot(
        fingerprint=trace["prompt_fingerprint"], text=prompt.text)
    store_turn(conversation=conversation, is_new=is_new, messages=[user_message, reply], snapshot=snapshot)
    if snapshot is not None:
        # Only once committed: a rolled-back turn must not make a missing snapshot look stored.
        transaction.on_commit(lambda: stored_fingerprints.put(snapshot_key, True))
    return ChatTurnResult(conversation, user_message, reply)


# Fingerprints this process knows are stored (committed) in a tenant's schema. A snapshot never
# changes (its key is the hash of its text), so once stored there is no need to send its ~14 KB again
# with every reply made from the same prompt.
stored_fingerprints: BoundedLRU[bool] = BoundedLRU(4096)


def _store_prompt_snapshot(fingerprint: str, text: str) -> None:
    key = f"{connection.schema_name}:{fingerprint}"
    if key in stored_fingerprints:
        return
    PromptSnapshot.objects.bulk_create([PromptSnapshot(fingerprint=fingerprint, text=text)], ignore_conflicts=True)
    # Only once committed: a rolled-back turn must not make a missing snapshot look stored.
    transaction.on_commit(lambda: stored_fingerprints.put(key, True))

