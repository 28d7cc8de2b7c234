"""The admin form that drafts a new persona spec version.

The form only parses: the twin, the JSON text and the optional version and notes. Whether the spec
is valid, whether the version is free and whether the user may add it is decided by
`persona_spec_create`, the same service the API calls; when it refuses, the admin's add view shows
the form again with the service's errors attached to the fields they concern (`attach_refusal`).

The spec's textarea is `SpecEditorWidget`: a plain textarea that the editor bundle
(static/editor/, built from frontend/) turns into a code editor when JavaScript runs.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.templatetags.static import static

from core.errors import DomainError, PermissionDenied
from core.input_limits import json_depth_problem, json_value_problems
from personas.models import NOTES_MAX_LENGTH
from personas.spec import persona_spec_json_schema
from personas.spec_key_order import in_schema_order
from twins.models import Twin

VERSION_PATH = "/version"
NOTES_PATH = "/notes"

# What an empty editor starts with: every section of spec v1, empty, so the shape is visible.
STARTER_SPEC = {
    "schema_version": 1,
    "identity_voice": {},
    "decision_policy": {},
    "stance_values": {},
    "interaction_style": {},
    "constitution": [],
    "canonical_examples": [],
    "anti_examples": [],
    "procedural_modules": [],
    "deterministic_rules": {"banned_phrases": [], "anti_style_rules": []},
    "metadata": {},
}


def editor_text(spec: dict) -> str:
    """A stored spec as editor text for a new draft: two-space indent, keys in the schema's order (the
    prompt's sections; `in_schema_order`), without its version (the new draft gets the next version
    unless the editor names one). Parsed back, it is the same spec: nothing but the layout changes."""
    without_version = {key: value for key, value in spec.items() if key != "version"}
    return json.dumps(in_schema_order(without_version), indent=2, ensure_ascii=False)


class SpecJsonError(ValueError):
    """`problems` are the `[{"path", "message"}]` whose place is known (the editor marks them there)."""

    def __init__(self, message: str, problems: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.problems = problems or []


def parse_spec_text(text: str) -> Any:
    """The JSON document in `text`; SpecJsonError says where the text stops being strict JSON.

    Stricter than `json.loads`: NaN and Infinity are not JSON, and a key given twice in one object
    would otherwise silently keep only its last value.
    """

    def refuse_constant(name: str):
        raise SpecJsonError(f"{name} is not valid JSON")

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise SpecJsonError(f"the key {key!r} appears twice in one object")
            seen[key] = value
        return seen

    too_deep = json_depth_problem(text)
    if too_deep:
        raise SpecJsonError(f"Not valid here: at {too_deep['path']}, {too_deep['message']}.", [too_deep])
    try:
        value = json.loads(text, parse_constant=refuse_constant, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise SpecJsonError(f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    except SpecJsonError as exc:
        raise SpecJsonError(f"Not valid JSON: {exc}.") from None
    except RecursionError:
        raise SpecJsonError("Not valid JSON: nested too deeply.") from None
    problems = json_value_problems(value)
    if problems:  # the limits every JSON input keeps (core.input_limits), as in the API
        raise SpecJsonError("Not valid here: " + "; ".join(
            f"at {problem['path'] or '/'}, {problem['message']}" for problem in problems) + ".", problems)
    return value


# Built from frontend/ (`make editor`); the stylesheet is linked by the page and inside the editor's shadow root.
EDITOR_SCRIPT = "editor/persona-spec-editor.js"
EDITOR_STYLESHEET = "editor/persona-spec-editor.css"


class SpecEditorWidget(forms.Textarea):
    """The spec's textarea, with what the editor needs to enhance it: the spec's JSON Schema (the one
    served at /api/schemas/persona-spec-v1.json) and the problems of the last save, by JSON Pointer.

    Without JavaScript it is the textarea it always was; the field posts the same text either way.
    """

    class Media:
        js = [EDITOR_SCRIPT]
        css = {"all": [EDITOR_STYLESHEET]}

    def __init__(self, attrs=None):
        super().__init__(attrs={
            "class": "persona-spec-editor", "rows": 32, "cols": 100, "spellcheck": "false",
            "autocomplete": "off", "autocapitalize": "off", "wrap": "off", "data-spec-editor": "v1",
            **(attrs or {}),
        })
        self.problems: list[dict[str, str]] = []

    def __deepcopy__(self, memo):
        # Each form gets a copy of the field's widget; Django copies only `attrs`, and a shared list
        # would carry one request's problems into the next.
        copied = super().__deepcopy__(memo)
        copied.problems = list(self.problems)
        return copied

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-stylesheet"] = static(EDITOR_STYLESHEET)
        context["widget"]["attrs"]["data-schema"] = json.dumps(persona_spec_json_schema(), separators=(",", ":"))
        context["widget"]["attrs"]["data-server-problems"] = json.dumps(self.problems, ensure_ascii=False)
        return context


class PersonaSpecAddForm(forms.Form):
    twin = forms.ModelChoiceField(queryset=Twin.objects.none())
    requested_version = forms.CharField(
        label="Version", required=False, max_length=40, strip=True,
        help_text="Optional, MAJOR.MINOR.PATCH. Left empty, the twin's next patch version is assigned.",
    )
    spec_text = forms.CharField(
        label="Spec (JSON)", strip=False, widget=SpecEditorWidget(),
        help_text=(
            'Persona spec v1 as a JSON object. Problems are listed with their JSON Pointer path, '
            'for example <code>/procedural_modules/2/few_shot_ids/0</code>, and marked in the editor. '
            'Ctrl-Space completes keys and values from the '
            '<a href="/api/schemas/persona-spec-v1.json" target="_blank" rel="noopener">schema</a>; '
            'F8 goes to the next problem.'
        ),
    )

    notes = forms.CharField(
        required=False, max_length=NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3, "cols": 100}),
        help_text="Why this version exists: what changed and why (kept with the version).",
    )

    def __init__(self, *args, twins=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["twin"].queryset = twins if twins is not None else Twin.objects.order_by("name", "id")

    def clean_spec_text(self) -> Any:
        try:
            return parse_spec_text(self.cleaned_data["spec_text"])
        except SpecJsonError as exc:
            self.mark_spec_problems(exc.problems)
            raise forms.ValidationError(str(exc), code="invalid_json") from None

    def mark_spec_problems(self, problems: list[dict[str, str]]) -> None:
        """Hand problems with a JSON Pointer to the editor, which marks each where it points."""
        self.fields["spec_text"].widget.problems.extend(
            {"path": problem.get("path", ""), "message": problem.get("message", "")} for problem in problems)

    @property
    def spec(self) -> Any:
        return self.cleaned_data["spec_text"]

    @property
    def version(self) -> str | None:
        return self.cleaned_data.get("requested_version") or None


def attach_refusal(form: PersonaSpecAddForm, refusal: DomainError) -> None:
    """Put the service's errors on the fields they are about; spec problems keep their path."""
    if isinstance(refusal, PermissionDenied) or not refusal.errors:
        form.add_error(None, refusal.message)
        return
    for error in refusal.errors:
        path, message = error.get("path", ""), error.get("message", "")
        if path == VERSION_PATH and form.cleaned_data.get("requested_version"):
            form.add_error("requested_version", f"{message} ({path})")
        elif path == NOTES_PATH:
            form.add_error("notes", message)
        else:
            form.add_error("spec_text", f"{path or '/'}: {message}")
            form.mark_spec_problems([error])
