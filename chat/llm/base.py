"""The contract between the chat runtime and every language model provider."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

CHAT_ROLES = ("user", "assistant")


@dataclass(frozen=True)
class ChatTurn:
    """One earlier message of the conversation, oldest first in CompletionRequest.history."""

    role: str
    content: str

    def __post_init__(self) -> None:
        # The system prompt travels separately; a "system" turn in the history would let stored
        # conversation text override the compiled persona.
        if self.role not in CHAT_ROLES:
            raise ValueError(f"ChatTurn.role must be one of {CHAT_ROLES}, got {self.role!r}")


@dataclass(frozen=True)
class CompletionRequest:
    """Everything a provider may use to answer one user message.

    `system_prompt` is what a real model sees. `spec` and `legacy_settings` are the structured
    sources of that prompt, passed along so that the offline provider can answer in the persona's
    voice without a model.
    """

    system_prompt: str
    history: tuple[ChatTurn, ...]
    user_message: str
    intent_label: str
    # The active persona spec in canonical JSON form (DESIGN.md, persona spec v1); None on the
    # legacy path.
    spec: Mapping[str, Any] | None = None
    # The twin's legacy settings: persona_profile, signature_phrases (list), opinion_map
    # (topic -> opinion), public_intro, intent_profile, system_prompt.
    legacy_settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    twin_name: str = ""

    def __post_init__(self) -> None:
        # Callers naturally hold a list of turns; freeze it so the request stays immutable.
        if not isinstance(self.history, tuple):
            object.__setattr__(self, "history", tuple(self.history))


@dataclass(frozen=True)
class Completion:
    text: str
    provider: str
    model: str
    latency_ms: int


class LLMError(Exception):
    """A provider could not produce a reply.

    `str(error)` is safe to show to the person chatting (it names the endpoint problem, never a
    credential). `kind` is one of "timeout", "unreachable", "http_status", "bad_response" for
    logs and traces; `status_code` is set for "http_status".
    """

    def __init__(self, message: str, *, kind: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status_code = status_code


@runtime_checkable
class LLMProvider(Protocol):
    name: str
    model: str

    def complete(self, request: CompletionRequest) -> Completion: ...

    def stream(self, request: CompletionRequest) -> Iterator[str | Completion]:
        """The reply as it is produced: non-empty text pieces, then exactly one Completion whose text
        is their concatenation. Raises LLMError, before or between pieces; closing the iterator early
        (the reader went away) must release the upstream request."""
        ...


@dataclass(frozen=True)
class LLMConfig:
    """Provider settings, built by the caller (e.g. from LLM_* settings); nothing is read from the
    environment here."""

    provider: str = "offline"
    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 1

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"LLMConfig.timeout_s must be positive, got {self.timeout_s!r}")
        if self.max_retries < 0:
            raise ValueError(f"LLMConfig.max_retries must be 0 or more, got {self.max_retries!r}")
