"""What the review page shows for one version: its compiled prompt for a chosen intent and query,
and how it differs from the twin's active version, both as spec JSON and as rendered prompt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from personas.compiler import select_modules
from personas.diffing import SideBySideDiff, canonical_pretty_json, side_by_side
from personas.models import PersonaSpec
from personas.previews import prompt_plan_preview
from personas.spec import INTENT_LABELS, SpecValidationError, parse_spec

NO_INTENT = "none"
USER_QUERY_MAX_CHARS = 2000


@dataclass(frozen=True)
class PromptPreview:
    """`prompt_plan_preview` of one version, or why it does not compile."""

    plan: dict[str, Any] | None
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def rendered(self) -> str | None:
        return self.plan["rendered"] if self.plan else None


@dataclass(frozen=True)
class Review:
    persona_spec: PersonaSpec
    active: PersonaSpec | None
    intent_label: str | None
    user_query: str
    preview: PromptPreview
    spec_json: str
    # (intent label, ids of the modules that apply to it), for every label of the taxonomy.
    modules_by_intent: list[tuple[str, list[str]]]
    spec_diff: SideBySideDiff | None = None
    prompt_diff: SideBySideDiff | None = None
    active_preview: PromptPreview | None = None

    @property
    def is_active(self) -> bool:
        return self.persona_spec.status == PersonaSpec.Status.ACTIVE

    @property
    def compares(self) -> bool:
        return self.active is not None and not self.is_active


def intent_from_param(value: str | None) -> str | None:
    """The intent label asked for in the query string; anything not in the taxonomy means none."""
    return value if value in INTENT_LABELS else None


def persona_spec_review(persona_spec: PersonaSpec, active: PersonaSpec | None, *, intent_label: str | None,
                        user_query: str = "") -> Review:
    user_query = user_query[:USER_QUERY_MAX_CHARS]
    preview = _preview(persona_spec.spec, intent_label, user_query)
    review = dict(
        persona_spec=persona_spec, active=active, intent_label=intent_label, user_query=user_query,
        preview=preview, spec_json=canonical_pretty_json(persona_spec.spec),
        modules_by_intent=_modules_by_intent(persona_spec.spec),
    )
    if active is None or active.pk == persona_spec.pk:
        return Review(**review)
    active_preview = _preview(active.spec, intent_label, user_query)
    prompt_diff = None
    if preview.rendered is not None and active_preview.rendered is not None:
        prompt_diff = side_by_side(active_preview.rendered, preview.rendered)
    return Review(
        **review, active_preview=active_preview, prompt_diff=prompt_diff,
        spec_diff=side_by_side(canonical_pretty_json(active.spec), review["spec_json"]),
    )


def _preview(spec: dict, intent_label: str | None, user_query: str) -> PromptPreview:
    try:
        return PromptPreview(prompt_plan_preview(spec, intent_label=intent_label, user_query=user_query or None))
    except SpecValidationError as exc:  # stored before a stricter validator: show why, do not crash
        return PromptPreview(None, exc.errors)


def _modules_by_intent(spec: dict) -> list[tuple[str, list[str]]]:
    try:
        modules = parse_spec(spec).procedural_modules
    except SpecValidationError:
        return []
    return [(label, [module.id for module in select_modules(modules, label)]) for label in INTENT_LABELS]
