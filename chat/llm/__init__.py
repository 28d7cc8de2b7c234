"""Language model providers for the chat runtime: one interface, an offline deterministic default
and a provider for any OpenAI-compatible endpoint. No Django imports: configuration comes in as an
LLMConfig.

`find_banned_phrases` lives in personas.banned_phrases (the compliance check uses it too) and is
re-exported here for the chat runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from personas.banned_phrases import find_banned_phrases

from .base import ChatTurn, Completion, CompletionRequest, LLMConfig, LLMError, LLMProvider
from .factory import PROVIDER_NAMES, get_provider
from .offline import OFFLINE_MODEL, OfflineProvider

if TYPE_CHECKING:
    from .openai_compatible import OpenAICompatibleProvider

__all__ = [
    "OFFLINE_MODEL",
    "PROVIDER_NAMES",
    "ChatTurn",
    "Completion",
    "CompletionRequest",
    "LLMConfig",
    "LLMError",
    "LLMProvider",
    "OfflineProvider",
    "OpenAICompatibleProvider",
    "find_banned_phrases",
    "get_provider",
]


def __getattr__(name: str) -> Any:
    # Lazy, like get_provider: importing the openai client costs most of a second.
    if name == "OpenAICompatibleProvider":
        from .openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
