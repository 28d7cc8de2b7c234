"""The chat app's writes: one chat turn (build the prompt, ask the provider, store both messages with
the trace), whole or streamed, and the prompt-snapshot store it uses. Reads are in chat/selectors.py.

Nothing is written until the provider has answered in full: a failed turn, a stream that fails
midway and a stream whose reader went away leave no orphan user message, no partial reply and no
empty conversation behind. The turn is then stored in one SQL statement (chat/turn_writes.py), so no
transaction stays open while a reply streams.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

from django.db import connection, transaction

from chat.llm import ChatTurn
from chat.models import MESSAGE_MAX_LENGTH, Conversation, Message, PromptSnapshot
from chat.prompting import assemble_system_prompt
from chat.providers import configured_provider
from chat.runtime import Answer, answer, answer_stream
from chat.selectors import conversation_for
from chat.turn_writes import store_turn
from core.errors import NotFound, ValidationFailed
from core.lru import BoundedLRU
from personas.prompting import SystemPrompt, default_interaction_context

logger = logging.getLogger(__name__)

HISTORY_TURNS = 20
TITLE_LENGTH = 80


@dataclass(frozen=True)
class ChatTurnResult:
    conversation: Conversation
    user_message: Message
    reply: Message


@dataclass(frozen=True)
class PreparedTurn:
    """A checked message with everything needed to answer it; nothing stored yet."""

    twin: object
    user: object
    message: str
    conversation: Conversation | None
    history: tuple[ChatTurn, ...]
    interaction_context: str
    prompt: SystemPrompt


def chat_turn(*, twin, user, message: str, conversation_id=None, interaction_context: str | None = None,
              provider=None) -> ChatTurnResult:
    """Answer `message` as `twin`; raises ValidationFailed, NotFound, or chat.llm.LLMError."""
    turn = chat_turn_prepare(twin=twin, user=user, message=message, conversation_id=conversation_id,
                             interaction_context=interaction_context)
    answered = answer(twin=twin, prompt=turn.prompt, message=turn.message,
                      provider=provider or configured_provider(), history=turn.history)
    return _chat_turn_store(turn, answered)


def chat_turn_prepare(*, twin, user, message: str, conversation_id=None,
                      interaction_context: str | None = None) -> PreparedTurn:
    """Check the message and build its prompt; raises ValidationFailed or NotFound. A streamed turn
    calls this before the response starts, so that these errors are still plain JSON errors."""
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
    return PreparedTurn(twin, user, message, conversation, tuple(history), interaction_context, prompt)


def chat_turn_stream(*, turn: PreparedTurn, provider=None) -> Iterator[str | ChatTurnResult]:
    """The reply's text pieces as the provider sends them, then the stored ChatTurnResult.

    Raises chat.llm.LLMError mid-stream. Closing the iterator before the end (the reader went away)
    closes the provider's stream and stores nothing.
    """
    provider = provider or configured_provider()
    with closing(answer_stream(twin=turn.twin, prompt=turn.prompt, message=turn.message, provider=provider,
                               history=turn.history)) as pieces:
        for piece in pieces:
            if isinstance(piece, Answer):
                yield _chat_turn_store(turn, piece)
                return
            yield piece


def _chat_turn_store(turn: PreparedTurn, answered: Answer) -> ChatTurnResult:
    conversation, trace = turn.conversation, answered.trace
    is_new = conversation is None
    if is_new:
        conversation = Conversation(id=uuid.uuid4(), twin=turn.twin, user=turn.user,
                                    interaction_context=turn.interaction_context, title=turn.message[:TITLE_LENGTH])
    user_message = Message(conversation=conversation, role=Message.Role.USER, content=turn.message)
    reply = Message(conversation=conversation, role=Message.Role.ASSISTANT, content=answered.completion.text,
                    trace=trace)
    # One statement, atomic by itself: no transaction round trips (chat/turn_writes.py).
    snapshot_key = f"{connection.schema_name}:{trace['prompt_fingerprint']}"
    snapshot = None if snapshot_key in stored_fingerprints else PromptSnapshot(
        fingerprint=trace["prompt_fingerprint"], text=turn.prompt.text)
    try:
        store_turn(conversation=conversation, is_new=is_new, messages=[user_message, reply], snapshot=snapshot)
    except NotFound:
        # Deleted while the model answered (another tab, an admin): a turn needs its conversation.
        raise NotFound("The conversation was deleted while its reply was written.") from None
    if snapshot is not None:
        # Only once committed: a rolled-back turn must not make a missing snapshot look stored.
        transaction.on_commit(lambda: stored_fingerprints.put(snapshot_key, True))
    return ChatTurnResult(conversation, user_message, reply)


# Fingerprints this process knows are stored (committed) in a tenant's schema. A snapshot never
# changes (its key is the hash of its text), so once stored there is no need to send its ~14 KB again
# with every reply made from the same prompt.
stored_fingerprints: BoundedLRU[bool] = BoundedLRU(4096)

