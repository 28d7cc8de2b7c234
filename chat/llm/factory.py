"""Provider selection from configuration."""

from __future__ import annotations

from .base import LLMConfig, LLMProvider
from .offline import OfflineProvider

PROVIDER_NAMES = ("offline", "openai")


def get_provider(config: LLMConfig) -> LLMProvider:
    """A new provider for `config`. Build it once per process and reuse it: the openai provider
    holds an HTTP connection pool."""
    name = config.provider.strip().lower()
    if name == "offline":
        return OfflineProvider()
    if name == "openai":
        # Imported here: the openai client takes most of a second to import, which processes
        # running the offline default should not pay.
        from .openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider(config)
    valid = ", ".join(PROVIDER_NAMES)
    raise ValueError(f"Unknown LLM provider {config.provider!r}; valid providers are: {valid}.")
