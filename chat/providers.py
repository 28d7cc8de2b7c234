"""The configured LLM provider, built once per process from the LLM_* settings."""

from __future__ import annotations

import functools

from django.conf import settings

from chat.llm import LLMConfig, LLMProvider, get_provider


def configured_provider() -> LLMProvider:
    return _provider_for(LLMConfig(
        provider=settings.LLM_PROVIDER, base_url=settings.LLM_BASE_URL, api_key=settings.LLM_API_KEY,
        model=settings.LLM_MODEL, timeout_s=settings.LLM_TIMEOUT_SECONDS,
    ))


@functools.lru_cache(maxsize=8)
def _provider_for(config: LLMConfig) -> LLMProvider:
    # Keyed by the whole config: a settings change (tests, reconfiguration) gets a new provider.
    return get_provider(config)
