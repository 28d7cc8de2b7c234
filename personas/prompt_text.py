"""Text of the system prompt: how spec content reads once it is put in front of the model.

Used by `personas.compiler`; kept apart so the compiler reads as selection logic and this module
as wording. Every function is deterministic: mapping keys are sorted at every depth, so equal specs
give byte-identical text whatever the key order of the JSON they came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from personas.banned_phrases import SEPARATORS_BUT_LINE_BREAKS, split_joined, words_of
from personas.spec import Example, Module

FEW_SHOT_INTRO = "Replies in your voice. Match their judgment and tone; do not copy their wording."
ANTI_STYLE_INTRO = "Hold to these in every reply."
# Anti-examples are reminders, not lessons: one short line each keeps them from dominating the prompt.
ANTI_EXAMPLE_PROMPT_CHARS = 80
ANTI_EXAMPLE_RESPONSE_CHARS = 160

# Words too common to say anything about topic; a small fixed list keeps ranking predictable.
STOPWORDS = frozenset(
    """
    a about an and are as at be been but by can could did do does for from had has have how if in
    into is it its me my no not of on or our should so that the their them then there these they
    this those to us was we were what when where which who why will with would you your
    """.split()
)


def query_tokens(text: str | None) -> frozenset[str]:
    """Lowercased words worth matching on: no stopwords, nothing shorter than two characters."""
    if not text:
        return frozenset()
    # words_of is `re.findall(r"\w+")` without the regex for ASCII text (most of it): the cold path
    # tokenises every example of a version, the hot path every query.
    words = set(words_of(text.lower()))
    words -= STOPWORDS
    return frozenset(word for word in words if len(word) > 1)


def query_tokens_of_many(texts: Sequence[str]) -> list[frozenset[str]]:
    """`[query_tokens(text) for text in texts]`, blanking punctuation in one pass when all are ASCII:
    the cold path tokenises every example of a version, and one long `translate` costs a fraction of
    sixty short ones."""
    tokens = ascii_words_of_many(texts, _STOPWORDS_AND_ASCII_WORDS_OF_ONE)  # words of one character dropped
    return tokens if tokens is not None else [query_tokens(text) for text in texts]


def ascii_words_of_many(texts: Sequence[str], dropped: frozenset[str]) -> list[frozenset[str]] | None:
    """The lowercased `\\w+` words of each of `texts` but `dropped`, or None unless all are ASCII
    (`lower()` may change the length of other text, and the texts are cut apart by length)."""
    joined = "\n".join(texts)
    if not joined.isascii():
        return None
    blanked = joined.lower().translate(SEPARATORS_BUT_LINE_BREAKS)  # ASCII: each character stays one
    return [frozenset(part.split()).difference(dropped) for part in split_joined(blanked, texts)]


# Every one-character word an ASCII text can have once lowercased: a letter, a digit or "_".
ASCII_WORDS_OF_ONE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_STOPWORDS_AND_ASCII_WORDS_OF_ONE = STOPWORDS | ASCII_WORDS_OF_ONE


def example_tokens(example: Example) -> frozenset[str]:
    """What a query is matched against: the example's prompt and tags (the response is the persona's
    wording, not the topic)."""
    return query_tokens(example_token_text(example))


def example_token_text(example: Example) -> str:
    return " ".join([example.prompt, *example.tags])


def mapping_lines(mapping: Mapping[str, Any], depth: int = 0) -> list[str]:
    """`- key: value` lines, keys sorted; nested objects and lists indented below their key."""
    lines: list[str] = []
    _add_mapping_lines(lines, mapping, "  " * depth)
    return lines


def list_lines(items: Sequence[Any], depth: int = 0) -> list[str]:
    """`- item` lines; an object or list inside a list is written as compact canonical JSON."""
    lines: list[str] = []
    _add_list_lines(lines, items, "  " * depth)
    return lines


# The two below append to the caller's list rather than return their own: a module block or a
# section is one list of lines however deeply its mapping nests (the cold path renders 40 modules).


def _add_mapping_lines(lines: list[str], mapping: Mapping[str, Any], pad: str) -> None:
    for key in sorted(mapping):
        value = mapping[key]
        kind = type(value)
        if kind is str and "\n" not in value:  # most values: skip the checks below
            lines.append(f"{pad}- {key}: {value}")
        elif kind is bool:  # the next most common, spelled as `_scalar` spells them
            lines.append(f"{pad}- {key}: true" if value else f"{pad}- {key}: false")
        elif kind is int:
            lines.append(f"{pad}- {key}: {value}")
        elif isinstance(value, dict) and value:
            lines.append(f"{pad}- {key}:")
            _add_mapping_lines(lines, value, pad + "  ")
        elif isinstance(value, list) and value:
            lines.append(f"{pad}- {key}:")
            _add_list_lines(lines, value, pad + "  ")
        else:
            lines.append(f"{pad}- {key}: {_scalar(value, pad)}")


def _add_list_lines(lines: list[str], items: Sequence[Any], pad: str) -> None:
    for item in items:
        if type(item) is str and "\n" not in item:
            lines.append(f"{pad}- {item}")
        else:
            lines.append(f"{pad}- {_scalar(item, pad)}")


def _scalar(value: Any, pad: str) -> str:
    if isinstance(value, str):
        # Continuation lines stay under their bullet so a multi-line value cannot break the list.
        return value.replace("\n", f"\n{pad}  ")
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    # Floats as JSON spells them, and objects or lists (inside a list) as compact canonical JSON.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def module_section_text(
    intent_label: str | None, modules: Iterable[Module], blocks_by_id: Mapping[str, str] | None = None
) -> str:
    """The procedures for this intent, first listed first; "" when no module says anything.

    `blocks_by_id` (module id -> `module_block(module)`) lets `precompile` render each module once,
    however many intents select it."""
    if blocks_by_id is None:
        blocks = [block for block in map(module_block, modules) if block]
    else:
        blocks = [block for block in (blocks_by_id[module.id] for module in modules) if block]
    if not blocks:
        return ""
    intro = (
        f"This request looks like {intent_label}. "
        "Follow these procedures; where they conflict, the first one listed wins."
    )
    return "\n\n".join([intro, *blocks])


def module_block(module: Module) -> str:
    # A module with no when/do/say_style still matters (its bans and few-shots apply) but has
    # nothing to tell the model here.
    # What `mapping_lines({"When": module.when})` etc. give, without the one-key mappings.
    lines = [f"### {module.id}"]
    for label, value in (("When", module.when), ("Do", module.do), ("Say style", module.say_style)):
        if not value:
            continue
        if isinstance(value, dict):
            lines.append(f"- {label}:")
            _add_mapping_lines(lines, value, "  ")
        elif isinstance(value, list):
            lines.append(f"- {label}:")
            _add_list_lines(lines, value, "  ")
        else:  # not reached for a validated module; kept for models built without validation
            _add_mapping_lines(lines, {label: value}, "")
    return "\n".join(lines) if len(lines) > 1 else ""


def example_block(example: Example) -> str:
    return f"Example ({example.intent_label})\nUser: {example.prompt}\nYou: {example.response}"


def rules_paragraph(rules: Sequence[str]) -> str:
    return "\n".join(f"- {rule}" for rule in rules)


def never_say_paragraph(banned_phrases: Sequence[str]) -> str:
    if not banned_phrases:
        return ""
    return 'Never say: "' + '", "'.join(banned_phrases) + '"'  # each phrase in double quotes


def anti_example_paragraph(anti_examples: Sequence[Example]) -> str:
    return "\n".join(
        f'- To "{clip(example.prompt, ANTI_EXAMPLE_PROMPT_CHARS)}", do not answer like this: '
        f'"{clip(example.response, ANTI_EXAMPLE_RESPONSE_CHARS)}"'
        for example in anti_examples
    )


def clip(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters (with "…")."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"
