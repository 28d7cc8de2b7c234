"""What the review page shows for one version: the full system prompt it would send for a chosen
message, interaction context and intent (rendered by `personas.prompting`, as chat renders it, with
its fingerprint), its compiled plan, and how it differs from the twin's active version, both as spec
JSON and as full prompt."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from personas.compiler import select_modules
from personas.diffing import SideBySideDiff, pretty_spec_json, side_by_side
from personas.intents import classify_intent
from personas.models import PersonaSpec
from personas.previews import prompt_plan_preview
from personas.prompting import DEFAULT_INTERACTION_CONTEXT, INTERACTION_CONTEXTS, SystemPrompt, version_system_prompt
from personas.spec import INTENT_LABELS, SpecValidationError, parse_spec
from personas.spec_diff import SpecDiff, spec_diff

NO_INTENT = "none"
AUTO_INTENT = "auto"  # classify the sample message, as chat does
USER_QUERY_MAX_CHARS = 2000


@dataclass(frozen=True)
class PromptPreview:
    """One version's full system prompt and `prompt_plan_preview`, or why it does not compile."""

    plan: dict[str, Any] | None
    errors: list[dict[str, str]] = field(default_factory=list)
    system_prompt: SystemPrompt | None = None

    @property
    def rendered(self) -> str | None:
        return self.plan["rendered"] if self.plan else None

    @property
    def full_text(self) -> str | None:
        return self.system_prompt.text if self.system_prompt else None


@dataclass(frozen=True)
class Review:
    persona_spec: PersonaSpec
    active: PersonaSpec | None
    intent_label: str | None  # the intent the prompts are rendered for (classified when `intent_choice` is auto)
    user_query: str
    intent_choice: str
    interaction_context: str
    preview: PromptPreview
    spec_json: str
    # (intent label, ids of the modules that apply to it), for every label of the taxonomy.
    modules_by_intent: list[tuple[str, list[str]]]
    spec_diff: SideBySideDiff | None = None
    prompt_diff: SideBySideDiff | None = None
    active_preview: PromptPreview | None = None
    # What this version is compared with: the active version unless the reviewer picked another.
    baseline: PersonaSpec | None = None
    structural: SpecDiff | None = None

    @property
    def is_active(self) -> bool:
        return self.persona_spec.status == PersonaSpec.Status.ACTIVE

    @property
    def compares(self) -> bool:
        return self.baseline is not None and self.baseline.pk != self.persona_spec.pk

    @property
    def change_rows(self) -> list[dict[str, Any]]:
        """The structural changes with their values as pretty JSON, for the page."""
        rows = []
        for change in self.structural.changes if self.structural else ():
            row = change.as_dict()
            for side in ("before", "after"):
                if side in row:
                    row[side] = json.dumps(row[side], indent=2, ensure_ascii=False, sort_keys=True)
            rows.append(row)
        return rows

    @property
    def baseline_is_active(self) -> bool:
        return self.baseline is not None and self.active is not None and self.baseline.pk == self.active.pk


def intent_choice_from_param(value: str | None) -> str:
    """`auto` (the default), `none`, or a label of the taxonomy; anything else means none."""
    if value in (None, "", AUTO_INTENT):
        return AUTO_INTENT
    return value if value in INTENT_LABELS else NO_INTENT


def intent_from_param(value: str | None) -> str | None:
    """The intent label asked for in the query string; anything not in the taxonomy means none."""
    return value if value in INTENT_LABELS else None


def context_from_param(value: str | None) -> str:
    return value if value in INTERACTION_CONTEXTS else DEFAULT_INTERACTION_CONTEXT


def persona_spec_review(persona_spec: PersonaSpec, active: PersonaSpec | None, *, intent_choice: str = AUTO_INTENT,
                        user_query: str = "", interaction_context: str = DEFAULT_INTERACTION_CONTEXT,
                        baseline: PersonaSpec | None = None) -> Review:
    """`baseline` (default: the active version) is what this version is compared with."""
    baseline = baseline or active
    user_query = user_query[:USER_QUERY_MAX_CHARS]
    if intent_choice == AUTO_INTENT:
        intent_label = classify_intent(user_query) if user_query else None
    else:
        intent_label = intent_from_param(intent_choice)
    preview = _preview(persona_spec, intent_label, user_query, interaction_context)
    review = dict(
        persona_spec=persona_spec, active=active, intent_label=intent_label, user_query=user_query,
        intent_choice=intent_choice, interaction_context=interaction_context,
        preview=preview, spec_json=pretty_spec_json(persona_spec.spec),
        modules_by_intent=_modules_by_intent(persona_spec.spec), baseline=baseline,
    )
    if baseline is None or baseline.pk == persona_spec.pk:
        return Review(**review)
    active_preview = _preview(baseline, intent_label, user_query, interaction_context)
    prompt_diff = None
    if preview.full_text is not None and active_preview.full_text is not None:
        prompt_diff = side_by_side(active_preview.full_text, preview.full_text)
    return Review(
        **review, active_preview=active_preview, prompt_diff=prompt_diff,
        spec_diff=side_by_side(pretty_spec_json(baseline.spec), review["spec_json"]),
        structural=spec_diff(baseline.spec, persona_spec.spec),
    )


def _preview(persona_spec: PersonaSpec, intent_label: str | None, user_query: str,
             interaction_context: str) -> PromptPreview:
    try:
        plan = prompt_plan_preview(persona_spec.spec, intent_label=intent_label, user_query=user_query or None)
        full = version_system_prompt(persona_spec, message=user_query, intent_label=intent_label,
                                     interaction_context=interaction_context)
    except SpecValidationError as exc:  # stored before a stricter validator: show why, do not crash
        return PromptPreview(None, exc.errors)
    return PromptPreview(plan, system_prompt=full)


def _modules_by_intent(spec: dict) -> list[tuple[str, list[str]]]:
    try:
        modules = parse_spec(spec).procedural_modules
    except SpecValidationError:
        return []
    return [(label, [module.id for module in select_modules(modules, label)]) for label in INTENT_LABELS]
