"""One answer of a twin to one message, through the configured provider: what a chat turn and an
evaluation case both do. Nothing is stored here; `chat.services.chat_turn` stores the turn, the
evaluation runner its result."""

from __future__ import annotations

from dataclasses import dataclass

from chat.llm import ChatTurn, Completion, CompletionRequest, LLMProvider, find_banned_phrases
from personas.prompting import SystemPrompt


@dataclass(frozen=True)
class Answer:
    completion: Completion
    trace: dict  # the prompt's trace plus the provider's side


def answer(*, twin, prompt: SystemPrompt, message: str, provider: LLMProvider,
           history: tuple[ChatTurn, ...] = ()) -> Answer:
    """Ask `provider` to answer `message` under `prompt`; raises chat.llm.LLMError when it cannot."""
    completion = provider.complete(CompletionRequest(
        system_prompt=prompt.text, history=tuple(history), user_message=message,
        intent_label=prompt.trace["intent_label"], spec=prompt.spec, legacy_settings=prompt.legacy_settings,
        twin_name=twin.name,
    ))
    trace = {
        **prompt.trace,
        "provider": completion.provider,
        "model": completion.model,
        "latency_ms": completion.latency_ms,
        "banned_phrase_hits": find_banned_phrases(completion.text, prompt.banned_phrases),
    }
    return Answer(completion, trace)
