"""The one renderer of a twin's full system prompt: what the model receives, byte for byte.

    identity frame      product text, naming the twin and its owner by display name
    interaction context product text for owner chat, owner training or a public share
    persona             the version's compiled prompt for the intent and message
                        (or, for a twin with no usable active version, its legacy persona fields)

Chat (every turn), the admin's review page, the API's preview and evaluation runs all call
`render_system_prompt`, so a reviewed prompt and a sent prompt with the same inputs have the same
`prompt_fingerprint`. With a version, nothing editable outside the version enters the prompt: free
text instructions are the version's `custom_instructions`, not the twin's settings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from personas.compiler import CompiledSpec
from personas.intents import Intent, classify
from personas.selectors import ActiveSpecPointer, CompiledPersona, compiled_persona

PROMPT_SOURCE_SPEC = "persona_spec"
PROMPT_SOURCE_LEGACY = "legacy"
FALLBACK_NO_ACTIVE_SPEC = "no active persona spec"

OWNER_CHAT = "owner_chat"
OWNER_TRAINING = "owner_training"
PUBLIC_SHARE = "public_share"
INTERACTION_CONTEXTS = {
    OWNER_CHAT: "You are talking with your owner. Be candid; they know you are their twin.",
    OWNER_TRAINING: (
        "Your owner is training you. When they correct you, acknowledge the correction plainly and "
        "answer again the way they describe."
    ),
    PUBLIC_SHARE: (
        "You are talking with a member of the public through a shared link. Say you are a digital "
        "twin if asked, and never reveal private information about your owner."
    ),
}
DEFAULT_INTERACTION_CONTEXT = OWNER_CHAT
# As choices (value, label): the chat app's Conversation.Context has exactly these (a test holds them equal).
INTERACTION_CONTEXT_CHOICES = [(OWNER_CHAT, "Owner chat"), (OWNER_TRAINING, "Owner training"),
                               (PUBLIC_SHARE, "Public share")]


@dataclass(frozen=True)
class SystemPrompt:
    """A rendered prompt with what the provider and the trace need besides the text."""

    text: str
    trace: dict
    spec: dict | None = None  # the version's spec, for the offline responder
    banned_phrases: tuple[str, ...] = ()
    legacy_settings: dict = field(default_factory=dict)
    compiled: CompiledSpec | None = None  # the version's compiled form, for the compliance check

    @property
    def fingerprint(self) -> str:
        return self.trace["prompt_fingerprint"]


def default_interaction_context(twin, user) -> str:
    """A chat with no context given: owner chat for the twin's owner, a public share for anyone else."""
    return OWNER_CHAT if twin.owner_id == getattr(user, "pk", None) else PUBLIC_SHARE


def owner_display_name(twin) -> str:
    """How the frame names the person a twin stands in for: their full name, else their username."""
    owner = twin.owner
    return owner.get_full_name().strip() or owner.get_username()


def render_system_prompt(*, twin, persona: CompiledPersona | None, version: str | None, intent_label: str | None,
                         message: str, interaction_context: str | None,
                         fallback_reason: str | None = None, intent: Intent | None = None) -> SystemPrompt:
    """The full prompt for one message. `persona` None means the legacy persona, for `fallback_reason`.

    `intent` is the classification `intent_label` came from, for the trace's `intent_confidence` and
    `intent_source`; both are None when the intent was chosen by hand (the admin's review page)."""
    context = interaction_context if interaction_context in INTERACTION_CONTEXTS else DEFAULT_INTERACTION_CONTEXT
    if persona is not None:
        rendered = persona.compiled.render_for_request(intent_label, message)
        persona_text, spec, banned = rendered.text, persona.spec, tuple(rendered.banned_phrases)
        legacy_settings = {}
        trace = {
            "persona_spec_version": version,
            "prompt_source": PROMPT_SOURCE_SPEC,
            "fallback_reason": None,
            "module_ids": list(rendered.module_ids),
            "few_shot_ids": list(rendered.few_shot_ids),
        }
    else:
        legacy_settings = twin.settings or {}
        persona_text, spec, banned = legacy_persona_text(legacy_settings), None, ()
        trace = {
            "persona_spec_version": None,
            "prompt_source": PROMPT_SOURCE_LEGACY,
            "fallback_reason": fallback_reason or FALLBACK_NO_ACTIVE_SPEC,
            "module_ids": [],
            "few_shot_ids": [],
        }
    parts = [_identity_frame(twin), "## INTERACTION CONTEXT\n" + INTERACTION_CONTEXTS[context],
             "# PERSONA\n\n" + persona_text]
    if persona is None:
        # Only twins without a usable version keep their settings' free-text instructions: they have
        # no version to carry them (generate moves them into the draft's custom_instructions).
        custom = legacy_settings.get("system_prompt")
        if isinstance(custom, str) and custom.strip():
            parts.append("## CUSTOM INSTRUCTIONS\n" + custom.strip())
    text = "\n\n".join(parts)
    trace.update({
        "intent_label": intent_label,
        "intent_confidence": intent.confidence if intent is not None else None,
        "intent_source": intent.source if intent is not None else None,
        "interaction_context": context,
        "prompt_fingerprint": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    })
    return SystemPrompt(text=text, trace=trace, spec=spec, banned_phrases=banned, legacy_settings=legacy_settings,
                        compiled=persona.compiled if persona is not None else None)


def preview_system_prompt(persona_spec, *, message: str, interaction_context: str | None = None,
                          intent_label: str | None = None) -> SystemPrompt:
    """Exactly what a chat turn with `message` would send if `persona_spec` were the active version.

    The intent is classified from the message as chat does, unless one is given. Raises
    SpecValidationError when the version does not compile.
    """
    intent = None if intent_label else classify(message)
    return version_system_prompt(persona_spec, message=message, interaction_context=interaction_context,
                                 intent_label=intent_label or intent.label, intent=intent)


def version_system_prompt(persona_spec, *, message: str, interaction_context: str | None,
                          intent_label: str | None, intent: Intent | None = None) -> SystemPrompt:
    """The full prompt of `persona_spec` for an explicit intent (None: no procedural modules)."""
    pointer = ActiveSpecPointer(str(persona_spec.pk), persona_spec.version, persona_spec.spec_hash)
    persona = compiled_persona(persona_spec.twin_id, pointer, persona_spec.spec)
    return render_system_prompt(
        twin=persona_spec.twin, persona=persona, version=persona_spec.version, intent_label=intent_label,
        message=message, interaction_context=interaction_context, intent=intent,
    )


def _identity_frame(twin) -> str:
    person = owner_display_name(twin)
    return (
        f"You are {twin.name}, the digital twin of {person}. Speak in the first person, as {person} would, "
        "following the persona below. The persona defines your voice, judgment and boundaries."
    )


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
