"""One answer of a twin to one message, through the configured provider: what a chat turn and an
evaluation case both do. Nothing is stored here; `chat.services.chat_turn` stores the turn, the
evaluation runner its result."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

from chat.llm import ChatTurn, Completion, CompletionRequest, LLMError, LLMProvider, find_banned_phrases
from personas.compliance import check_compliance
from personas.prompting import SystemPrompt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    completion: Completion
    trace: dict  # the prompt's trace plus the provider's side


def answer(*, twin, prompt: SystemPrompt, message: str, provider: LLMProvider,
           history: tuple[ChatTurn, ...] = ()) -> Answer:
    """Ask `provider` to answer `message` under `prompt`; raises chat.llm.LLMError when it cannot."""
    completion = provider.complete(_request(twin, prompt, message, history))
    return Answer(completion, _trace(prompt, completion, message))


def answer_stream(*, twin, prompt: SystemPrompt, message: str, provider: LLMProvider,
                  history: tuple[ChatTurn, ...] = ()) -> Iterator[str | Answer]:
    """The reply's text pieces as the provider produces them, then one Answer whose trace (banned
    phrases, compliance) is computed on the whole text, as answer()'s is. Raises LLMError."""
    with closing(provider.stream(_request(twin, prompt, message, history))) as pieces:
        for piece in pieces:
            if isinstance(piece, Completion):
                yield Answer(piece, _trace(prompt, piece, message))
                return
            yield piece
    raise LLMError(f"The {provider.name} provider's stream ended without its reply.", kind="bad_response")


def _request(twin, prompt: SystemPrompt, message: str, history: tuple[ChatTurn, ...]) -> CompletionRequest:
    return CompletionRequest(
        system_prompt=prompt.text, history=tuple(history), user_message=message,
        intent_label=prompt.trace["intent_label"], spec=prompt.spec, legacy_settings=prompt.legacy_settings,
        twin_name=twin.name,
    )


def _trace(prompt: SystemPrompt, completion: Completion, message: str) -> dict:
    return {
        **prompt.trace,
        "provider": completion.provider,
        "model": completion.model,
        "latency_ms": completion.latency_ms,
        "banned_phrase_hits": find_banned_phrases(completion.text, prompt.banned_phrases),
        "compliance": _compliance(prompt, completion.text, message),
    }


def _compliance(prompt: SystemPrompt, reply: str, message: str) -> dict | None:
    """The reply's compliance with the version that prompted it, checked with the same compiled form and
    intent. None ("not checked") on the legacy persona: it has no spec to hold the reply to."""
    if prompt.compiled is None:
        return None
    try:
        return check_compliance(prompt.compiled, prompt.trace["intent_label"], reply, message).as_dict()
    except Exception:  # a checker bug must cost the score, never the reply
        logger.exception("checking the compliance of a reply failed")
        return None
