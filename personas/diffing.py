"""Side-by-side line diffs for the admin review page.

Plain Python, no Django and no HTML: a diff is a list of rows of text segments, and the template
escapes every segment it prints, so nothing in a spec can inject markup into the page.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from personas.spec_key_order import in_schema_order

DEFAULT_CONTEXT_LINES = 3
# Highlighting within a changed line is quadratic in its number of words; longer lines (a
# 6000-character example response) are highlighted as a whole.
INTRALINE_MAX_CHARS = 2000
# Words, runs of spaces, and single other characters (punctuation, quotes).
_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One row of the two-column table.

    kind: "equal", "delete" (left only), "insert" (right only), "replace" (both sides, changed) or
    "skip" (`skipped` unchanged lines left out between hunks).
    """

    kind: str
    left_number: int | None = None
    left: tuple[Segment, ...] = ()
    right_number: int | None = None
    right: tuple[Segment, ...] = ()
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class SideBySideDiff:
    rows: tuple[DiffRow, ...]
    added: int
    removed: int

    @property
    def identical(self) -> bool:
        return not self.added and not self.removed


def pretty_spec_json(spec: Any) -> str:
    """The spec as reviewers read it, laid out as the spec editor shows it: two-space indent, one value
    a line, the keys of everything the schema describes in the schema's order (the prompt's sections),
    free-form keys (voice, policy, style, metadata) in their own order. Stored versions all come from
    jsonb, which orders keys one way, so two versions still diff line by line."""
    return json.dumps(in_schema_order(spec), indent=2, ensure_ascii=False)


def side_by_side(old: str, new: str, *, context: int = DEFAULT_CONTEXT_LINES) -> SideBySideDiff:
    """Rows for a two-column diff of `old` (left) against `new` (right), line by line.

    Unchanged stretches longer than `context` lines around each change collapse into "skip" rows.
    Identical inputs give no rows at all.
    """
    left_lines, right_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, left_lines, right_lines, autojunk=False)
    rows: list[DiffRow] = []
    added = removed = 0
    shown_until = 0  # index in left_lines just past the last row shown
    for group in matcher.get_grouped_opcodes(context):
        first_left = group[0][1]
        if first_left > shown_until:
            rows.append(DiffRow("skip", skipped=first_left - shown_until))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    DiffRow("equal", i + 1, _whole(left_lines[i], False), j + 1, _whole(right_lines[j], False))
                    for i, j in zip(range(i1, i2), range(j1, j2))
                )
            else:
                removed += i2 - i1
                added += j2 - j1
                rows.extend(_changed_rows(left_lines, i1, i2, right_lines, j1, j2))
        shown_until = group[-1][2]
    if rows and shown_until < len(left_lines):
        rows.append(DiffRow("skip", skipped=len(left_lines) - shown_until))
    return SideBySideDiff(tuple(rows), added, removed)


def _changed_rows(left_lines, i1, i2, right_lines, j1, j2) -> list[DiffRow]:
    """A changed block: lines paired up side by side, the longer side's rest against blanks."""
    rows = []
    for offset in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + offset, j1 + offset
        has_left, has_right = i < i2, j < j2
        if has_left and has_right:
            left, right = _intraline(left_lines[i], right_lines[j])
            rows.append(DiffRow("replace", i + 1, left, j + 1, right))
        elif has_left:
            rows.append(DiffRow("delete", i + 1, _whole(left_lines[i], True)))
        else:
            rows.append(DiffRow("insert", right_number=j + 1, right=_whole(right_lines[j], True)))
    return rows


def _intraline(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Both lines as segments, the words that differ marked (words, not characters: a reviewer
    reads "fabricate" → "invent", not scattered letters)."""
    if len(old) > INTRALINE_MAX_CHARS or len(new) > INTRALINE_MAX_CHARS:
        return _whole(old, True), _whole(new, True)
    old_tokens, new_tokens = _TOKEN_RE.findall(old), _TOKEN_RE.findall(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    if matcher.ratio() < 0.5:  # mostly different: word highlights would only add noise
        return _whole(old, True), _whole(new, True)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            _append(left, "".join(old_tokens[i1:i2]), changed)
        if j2 > j1:
            _append(right, "".join(new_tokens[j1:j2]), changed)
    return tuple(left), tuple(right)


def _append(segments: list[Segment], text: str, changed: bool) -> None:
    if segments and segments[-1].changed == changed:
        segments[-1] = Segment(segments[-1].text + text, changed)
    else:
        segments.append(Segment(text, changed))


def _whole(line: str, changed: bool) -> tuple[Segment, ...]:
    return (Segment(line, changed),)
