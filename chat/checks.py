"""Fail at start, not at the first chat turn, when the LLM settings cannot work."""

from django.conf import settings
from django.core.checks import Error, register

from chat.llm import PROVIDER_NAMES


@register()
def llm_settings_check(app_configs, **kwargs):
    problems = []
    if (settings.LLM_PROVIDER or "").strip().lower() not in PROVIDER_NAMES:
        problems.append(Error(
            f"LLM_PROVIDER is {settings.LLM_PROVIDER!r}; valid providers are: {', '.join(PROVIDER_NAMES)}.",
            id="chat.E001",
        ))
    if settings.LLM_TIMEOUT_SECONDS <= 0:
        problems.append(Error("LLM_TIMEOUT_SECONDS must be positive.", id="chat.E002"))
    return problems

