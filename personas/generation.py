"""Draft a persona spec from what a twin already knows: its legacy settings and approved memories.

Plain Python: takes plain values, returns the spec dict and the list of inputs it used. The defaults
are deliberately neutral (no owner-specific voice is invented here): the voice comes only from the
twin's own settings, and the stances only from memories its owner approved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from personas.spec import MAX_CUSTOM_INSTRUCTIONS

MAX_STANCES = 50
MAX_MEMORY_EXAMPLES = 10
VOICE_FIELDS = ("persona_profile", "signature_phrases", "public_intro")


@dataclass(frozen=True)
class MemoryInput:
    id: str
    topic: str
    value: str
    stance: str
    intensity: int


DEFAULT_DECISION_POLICY = {
    "clarify_when_ambiguous": True,
    "cite_when_factual": True,
    "assumption_policy": "state assumptions explicitly when information is missing",
}

DEFAULT_CONSTITUTION = [
    "Speak in the first person as the owner's digital twin, and say so if asked.",
    "Never fabricate sources, numbers or certainty.",
    "If uncertain, say what is missing and ask one clarifying question.",
    "Do not give legal, tax or medical advice; point to a qualified professional instead.",
    "Decline requests that would harm someone or expose private information.",
]

DEFAULT_MODULES = [
    {
        "id": "procedural.decision.clarify_before_advice",
        "intent_labels": ["advice_or_stance", "ambiguity_or_clarify"],
        "when": {"missing_material_parameters": True},
        "do": ["ask_one_clarifying_question", "state_assumptions_if_answering"],
        "say_style": {"max_questions": 1},
        "priority": 50,
    },
    {
        "id": "procedural.factual.cite_or_disclose",
        "intent_labels": ["factual_with_evidence"],
        "when": {"requires_evidence": True},
        "do": ["use_only_provided_facts", "disclose_missing_data"],
        "priority": 40,
    },
    {
        "id": "procedural.boundary.refuse_and_redirect",
        "intent_labels": ["sensitive_boundary_or_refusal"],
        "when": {"outside_competence_or_harmful": True},
        "do": ["decline_briefly", "point_to_a_professional"],
        "priority": 10,
    },
    {
        "id": "procedural.conflict.disagree_respectfully",
        "intent_labels": ["disagreement_or_conflict"],
        "when": {"user_disagrees": True},
        "do": ["acknowledge_the_point", "restate_position_with_reason", "invite_evidence"],
        "priority": 60,
    },
]

DEFAULT_RULES = {
    "banned_phrases": ["As an AI language model"],
    "anti_style_rules": ["Do not over-explain simple answers", "Avoid generic motivational filler"],
}


def spec_from_twin_data(
    *, twin_name: str, settings: Mapping, memories: Iterable[MemoryInput]
) -> tuple[dict, list[str]]:
    """The draft spec and the inputs it was built from (`settings.<field>`, `memory:<id>`)."""
    generated_from: list[str] = []

    voice = {}
    for field in VOICE_FIELDS:
        if settings.get(field):
            voice[field] = settings[field]
            generated_from.append(f"settings.{field}")
    voice.setdefault("public_intro", f"I'm {twin_name}'s digital twin.")

    interaction_style = {"brevity_default": "concise", "structure_default": "answer_then_reasoning"}
    intent_profile = settings.get("intent_profile")
    if isinstance(intent_profile, Mapping) and intent_profile:
        for key in sorted(intent_profile)[:48]:
            interaction_style[f"intent.{key}"] = intent_profile[key]
        generated_from.append("settings.intent_profile")

    # Strongest positions first: when a twin has more than the spec allows, the weak ones go.
    ranked = sorted(memories, key=lambda m: (-m.intensity, m.topic.casefold(), m.id))
    stance_values: dict = {}
    examples = []
    for memory in ranked:
        if memory.topic in stance_values or len(stance_values) >= MAX_STANCES:
            continue
        stance_values[memory.topic] = {"value": memory.value, "stance": memory.stance, "intensity": memory.intensity}
        generated_from.append(f"memory:{memory.id}")
        if len(examples) < MAX_MEMORY_EXAMPLES:
            examples.append({
                "id": f"memory.{len(examples) + 1}",
                "intent_label": "advice_or_stance",
                "prompt": f"What is your view on {memory.topic}?"[:6000],
                "response": memory.value[:6000],
                "tags": ["from_memory"],
            })

    spec = {
        "schema_version": 1,
        "identity_voice": voice,
        "decision_policy": dict(DEFAULT_DECISION_POLICY),
        "stance_values": stance_values,
        "interaction_style": interaction_style,
        "constitution": list(DEFAULT_CONSTITUTION),
        "canonical_examples": examples,
        "anti_examples": [],
        "procedural_modules": [dict(module) for module in DEFAULT_MODULES],
        "deterministic_rules": {key: list(value) for key, value in DEFAULT_RULES.items()},
        "metadata": {"generator": "twin-data-v1", "twin_name": twin_name},
    }
    # The legacy free-text instructions become part of the version: with a spec active, nothing
    # editable outside the version enters the prompt, so they would otherwise be lost.
    custom = settings.get("system_prompt")
    if isinstance(custom, str) and custom.strip():
        spec["custom_instructions"] = custom.strip()[:MAX_CUSTOM_INSTRUCTIONS]
        generated_from.append("settings.system_prompt")
    return spec, generated_from
