"""The evaluation case document: what a team writes (and keeps in git as JSON Lines), validated like a
persona spec — every problem at once, each with its JSON Pointer path. Plain Python (pydantic).

    {"name": "pricing pilot", "message": "Should we offer a free pilot?",
     "interaction_context": "owner_chat", "expected_intent": "advice_or_stance",
     "expect": {"must_include_any": ["pilot"], "must_not_include": ["as an AI"], "min_words": 20,
                "max_words": 180, "structure": "paragraph", "should_clarify": false},
     "tags": ["pricing"], "active": true}
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from personas.spec import INTENT_LABELS

INTERACTION_CONTEXTS = ("owner_chat", "owner_training", "public_share")
STRUCTURES = ("paragraph", "bullets", "numbered")
MAX_PHRASES = 50
MAX_TAGS = 20
MAX_WORDS = 5000

Phrase = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Expect(_Strict):
    must_include_any: list[Phrase] = Field(default_factory=list, max_length=MAX_PHRASES)
    must_not_include: list[Phrase] = Field(default_factory=list, max_length=MAX_PHRASES)
    min_words: int | None = Field(default=None, ge=0, le=MAX_WORDS)
    max_words: int | None = Field(default=None, ge=1, le=MAX_WORDS)
    structure: Literal[STRUCTURES] | None = None  # type: ignore[valid-type]
    should_clarify: bool | None = None

    @model_validator(mode="after")
    def _band(self) -> Expect:
        if self.min_words is not None and self.max_words is not None and self.min_words > self.max_words:
            raise ValueError("min_words is more than max_words")
        return self


class CaseDocument(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    message: Annotated[str, StringConstraints(min_length=1, max_length=8000, strip_whitespace=True)]
    interaction_context: Literal[INTERACTION_CONTEXTS] | None = None  # type: ignore[valid-type]
    expected_intent: Literal[INTENT_LABELS] | None = None  # type: ignore[valid-type]
    expect: Expect = Field(default_factory=Expect)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    active: bool = True

    def as_stored(self) -> dict[str, Any]:
        """The case as the API answers and exports it (empty expectations left out)."""
        return {
            "name": self.name, "message": self.message, "interaction_context": self.interaction_context,
            "expected_intent": self.expected_intent, "expect": self.expect.model_dump(exclude_defaults=True),
            "tags": list(self.tags), "active": self.active,
        }


class CaseInvalid(Exception):
    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))


def parse_case(data: object, *, prefix: str = "") -> CaseDocument:
    """The validated case, or CaseInvalid listing every problem with its JSON Pointer (under `prefix`)."""
    if not isinstance(data, dict):
        raise CaseInvalid([{"path": prefix, "message": "must be a JSON object"}])
    try:
        return CaseDocument.model_validate(data)
    except ValidationError as exc:
        raise CaseInvalid([_problem(error, prefix) for error in exc.errors()]) from None


def parse_jsonl(text: str) -> list[CaseDocument]:
    """Every case of a JSON Lines document (blank lines skipped); every problem of every line at once,
    paths prefixed with the line's 0-based index among the lines (`/3/expect/min_words`)."""
    cases, errors, names = [], [], {}
    for index, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        prefix = f"/{index}"
        try:
            data = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            errors.append({"path": prefix, "message": f"line {index + 1} is not JSON: {getattr(exc, 'msg', exc)}"})
            continue
        try:
            case = parse_case(data, prefix=prefix)
        except CaseInvalid as invalid:
            errors.extend(invalid.errors)
            continue
        if case.name in names:
            errors.append({"path": f"{prefix}/name",
                           "message": f"the name {case.name!r} is also on line {names[case.name] + 1}"})
        names[case.name] = index
        cases.append(case)
    if errors:
        raise CaseInvalid(errors)
    return cases


def _problem(error, prefix: str) -> dict[str, str]:
    loc = [str(part) for part in error["loc"] if not str(part).startswith("function-after")]
    path = prefix + "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in loc)
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        message = f"unknown field '{loc[-1]}'"
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "literal_error":
        message = f"must be one of {ctx.get('expected', '')}"
    elif kind == "string_too_short":
        message = "must not be empty"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
    return {"path": path, "message": message}
