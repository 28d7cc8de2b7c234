"""Comparing any two versions of a twin: the structural changes and the bump they call for
(`personas.spec_diff`), and how the full system prompt changes for one message, intent and context
(`personas.prompting`, the renderer chat uses). The API's diff endpoint, the create response's
`suggested_version` and the admin's compare view all come from here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from personas.intents import classify_intent
from personas.models import PersonaSpec
from personas.prompting import DEFAULT_INTERACTION_CONTEXT, SystemPrompt, version_system_prompt
from personas.selectors import VersionNeighbours
from personas.spec import SpecValidationError, format_semver
from personas.spec_diff import SpecDiff, spec_diff, suggest_next_version


@dataclass(frozen=True)
class Comparison:
    before: PersonaSpec
    after: PersonaSpec
    diff: SpecDiff
    intent_label: str | None
    message: str
    interaction_context: str
    prompt_before: SystemPrompt | None  # None: that version does not compile
    prompt_after: SystemPrompt | None

    @property
    def unified_prompt_diff(self) -> str:
        if self.prompt_before is None or self.prompt_after is None:
            return ""
        return "".join(difflib.unified_diff(
            self.prompt_before.text.splitlines(keepends=True), self.prompt_after.text.splitlines(keepends=True),
            fromfile=f"{self.before.version}", tofile=f"{self.after.version}",
        ))


def persona_spec_compare(*, before: PersonaSpec, after: PersonaSpec, intent_label: str | None = None,
                         message: str = "", interaction_context: str = DEFAULT_INTERACTION_CONTEXT) -> Comparison:
    """`before` → `after`. Without an intent, the message is classified as chat would (no message: none)."""
    intent = intent_label or (classify_intent(message) if message else None)
    return Comparison(
        before=before, after=after, diff=spec_diff(before.spec, after.spec), intent_label=intent,
        message=message, interaction_context=interaction_context,
        prompt_before=_prompt(before, message, intent, interaction_context),
        prompt_after=_prompt(after, message, intent, interaction_context),
    )


def _prompt(persona_spec: PersonaSpec, message: str, intent: str | None, context: str) -> SystemPrompt | None:
    try:
        return version_system_prompt(persona_spec, message=message, intent_label=intent, interaction_context=context)
    except SpecValidationError:  # stored before a stricter validator: compare what can be compared
        return None


@dataclass(frozen=True)
class VersionSuggestion:
    version: str | None  # None: no number is left above the twin's highest version
    bump: str
    reasons: tuple[str, ...]
    compared_with: str | None  # the active version, or None when the twin has none


def suggested_version(*, twin, spec: dict, exclude_pk=None, neighbours: VersionNeighbours | None = None
                      ) -> VersionSuggestion:
    """The number `spec`'s changes deserve against the twin's active version, counted from the twin's
    highest version (leaving out `exclude_pk`, the version being judged, if it is stored already); a
    twin without an active version gets the next patch.

    `neighbours`: the twin's versions as a create read them before storing the judged one (its
    `neighbours_at_create`), which saves reading them again."""
    if neighbours is None:
        versions = PersonaSpec.objects.of_twin(twin)
        if exclude_pk is not None:
            versions = versions.exclude(pk=exclude_pk)
        neighbours = persona_spec_neighbours_excluding(versions)
    highest = neighbours.highest
    if neighbours.active_version is None:
        bump, reasons = "patch", ()
    else:
        diff = spec_diff(neighbours.active_spec, spec)
        bump, reasons = diff.suggested_bump, diff.bump_reasons
    if highest is None:
        return VersionSuggestion("1.0.0", bump, reasons, None)
    try:
        version = suggest_next_version(format_semver(highest), bump)
    except ValueError:  # the highest version's part is at the limit of its integer column
        version = None
    return VersionSuggestion(version, bump, reasons, neighbours.active_version)


def persona_spec_neighbours_excluding(versions) -> VersionNeighbours:
    highest = versions.newest_first().values_list("version_major", "version_minor", "version_patch").first()
    active = versions.active().values_list("version", "spec").first()
    return VersionNeighbours(highest=highest, active_version=active[0] if active else None,
                             active_spec=active[1] if active else None, taken=False)
