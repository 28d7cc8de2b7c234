"""The system prompt of a chat turn: a fixed frame around the twin's persona.

The persona section comes from the twin's active spec (its cached compiled form), or, when the twin
has no active spec or it does not compile, from the legacy persona fields of the twin's settings.
Either way the trace says which, and why.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from django.db import DatabaseError

from personas.intents import classify_intent
from chat.models import Conversation
from personas.selectors import active_compiled_persona
from personas.spec import SpecValidationError

logger = logging.getLogger(__name__)

PROMPT_SOURCE_SPEC = "persona_spec"
PROMPT_SOURCE_LEGACY = "legacy"
FALLBACK_NO_ACTIVE_SPEC = "no active persona spec"

CONTEXT_INSTRUCTIONS = {
    Conversation.Context.OWNER_CHAT: (
        "You are talking with your owner. Be candid; they know you are their twin."
    ),
    Conversation.Context.OWNER_TRAINING: (
        "Your owner is training you. When they correct you, acknowledge the correction plainly and "
        "answer again the way they describe."
    ),
    Conversation.Context.PUBLIC_SHARE: (
        "You are talking with a member of the public through a shared link. Say you are a digital "
        "twin if asked, and never reveal private information about your owner."
    ),
}


@dataclass(frozen=True)
class SystemPrompt:
    """A built prompt with what the provider and the trace need besides the text."""

    text: str
    trace: dict
    spec: dict | None = None  # the active spec, for the offline responder
    banned_phrases: tuple[str, ...] = ()
    legacy_settings: dict = field(default_factory=dict)


def build_system_prompt(twin, user_message: str, interaction_context: str) -> tuple[str, dict]:
    """(prompt text, trace) for one turn; see `assemble_system_prompt` for the details."""
    prompt = assemble_system_prompt(twin, user_message, interaction_context)
    return prompt.text, prompt.trace


def assemble_system_prompt(twin, user_message: str, interaction_context: str) -> SystemPrompt:
    intent_label = classify_intent(user_message)
    settings = twin.settings or {}
    persona_text, trace_persona, spec, banned = _persona_section(twin, intent_label, user_message)

    parts = [_identity_frame(twin), "## INTERACTION CONTEXT\n" + CONTEXT_INSTRUCTIONS.get(
        interaction_context, CONTEXT_INSTRUCTIONS[Conversation.Context.OWNER_CHAT])]
    parts.append(persona_text)
    custom = settings.get("system_prompt")
    if isinstance(custom, str) and custom.strip():
        parts.append("## CUSTOM INSTRUCTIONS\n" + custom.strip())
    text = "\n\n".join(parts)

    trace = {
        **trace_persona,
        "intent_label": intent_label,
        "prompt_fingerprint": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    return SystemPrompt(text=text, trace=trace, spec=spec, banned_phrases=banned, legacy_settings=settings)


def _identity_frame(twin) -> str:
    owner = twin.owner.get_full_name() or twin.owner.get_username()
    return (
        f"You are {twin.name}, the digital twin of {owner}. Speak in the first person, as {owner} would, "
        "following the persona below. The persona defines your voice, judgment and boundaries."
    )


def _persona_section(twin, intent_label: str, user_message: str):
    """(persona text, persona trace fields, spec or None, banned phrases)."""
    try:
        pointer, persona = active_compiled_persona(twin.pk)
        rendered = persona.compiled.render_for_request(intent_label, user_message) if persona else None
    except SpecValidationError as exc:
        reason = f"active persona spec does not compile: {exc}"
        logger.warning("twin %s falls back to its legacy persona: %s", twin.pk, reason)
        return _legacy(twin, reason)
    except DatabaseError:
        raise  # an outage is a 503, not a persona problem
    except Exception as exc:  # a compiler bug must cost the persona, never the reply
        logger.exception("compiling the active persona spec of twin %s failed", twin.pk)
        return _legacy(twin, f"active persona spec failed to compile ({exc.__class__.__name__})")
    if pointer is None:
        return _legacy(twin, FALLBACK_NO_ACTIVE_SPEC)

    trace = {
        "persona_spec_version": pointer.version,
        "prompt_source": PROMPT_SOURCE_SPEC,
        "fallback_reason": None,
        "module_ids": list(rendered.module_ids),
        "few_shot_ids": list(rendered.few_shot_ids),
    }
    return "# PERSONA\n\n" + rendered.text, trace, persona.spec, tuple(rendered.banned_phrases)


def _legacy(twin, reason: str):
    if reason != FALLBACK_NO_ACTIVE_SPEC:
        logger.info("legacy persona for twin %s: %s", twin.pk, reason)
    trace = {
        "persona_spec_version": None,
        "prompt_source": PROMPT_SOURCE_LEGACY,
        "fallback_reason": reason,
        "module_ids": [],
        "few_shot_ids": [],
    }
    return "# PERSONA\n\n" + legacy_persona_text(twin.settings or {}), trace, None, ()


def legacy_persona_text(settings: dict) -> str:
    """The persona as twins described it before specs: profile, intro, phrases, opinions."""
    lines = []
    if isinstance(settings.get("persona_profile"), str) and settings["persona_profile"].strip():
        lines.append("## VOICE\n" + settings["persona_profile"].strip())
    if isinstance(settings.get("public_intro"), str) and settings["public_intro"].strip():
        lines.append("## INTRODUCTION\n" + settings["public_intro"].strip())
    phrases = [p for p in settings.get("signature_phrases") or [] if isinstance(p, str) and p.strip()]
    if phrases:
        lines.append("## SIGNATURE PHRASES\n" + "\n".join(f"- {p.strip()}" for p in phrases))
    opinions = settings.get("opinion_map") if isinstance(settings.get("opinion_map"), dict) else {}
    if opinions:
        lines.append("## OPINIONS\n" + "\n".join(f"- {topic}: {opinions[topic]}" for topic in sorted(opinions)))
    return "\n\n".join(lines) or "No persona has been written for this twin yet: answer plainly and briefly."
