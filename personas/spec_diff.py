"""What changed between two persona spec versions, and the version number the change deserves.

Plain Python, no Django: `spec_diff(before, after)` takes two stored spec documents (validated,
canonical) and answers a `SpecDiff`: structural changes with JSON Pointer paths, the size delta, and a
suggested semver bump with one reason per policy rule that fired. `suggest_next_version` turns the
bump into a version number. The policy is documented in docs/persona-spec.md, "Comparing versions
and version numbers"; keep the two in step.

Items are matched by identity, not by position, so moving something is not reported as changing it:
modules by `id`; examples by `id`, else by content (prompt and intent label), else by position;
constitution rules, banned phrases and anti-style rules by text, a close rewording of a rule
(difflib ratio of their words >= 0.6) being one changed rule rather than one removed and one added.

A field left out and the same field at its default compare equal (a module without `active` is
active, a missing section is an empty one); values in changes are effective values, defaults filled.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from personas.spec import canonical_json, format_semver, parse_semver

BUMPS = ("none", "patch", "minor", "major")  # weakest first
SIMILAR_RULE_RATIO = 0.6
MAX_SIMILARITY_COMPARISONS = 50 * 50
MAX_BUMP_REASONS = 20
REORDERED = "reordered"
MATCHED_BY_POSITION = "matched by position"

IGNORED_KEYS = frozenset({"schema_version", "version"})
SECTION_ORDER = (
    "constitution", "decision_policy", "stance_values", "identity_voice", "interaction_style",
    "procedural_modules", "canonical_examples", "anti_examples", "deterministic_rules", "custom_instructions",
    "metadata",
)
# Free-form mappings: every leaf change carries the section's bump.
MAPPING_BUMPS = {
    "decision_policy": "major",
    "stance_values": "minor",
    "identity_voice": "patch",
    "interaction_style": "patch",
    "metadata": "patch",
}
# Keys no validated spec has (top level, or unknown module fields) and the free-form keys of
# deterministic_rules, which reach the chat service: treated as behaviour, not wording.
OTHER_BUMP = "minor"

MODULE_DEFAULTS: dict[str, Any] = {
    "intent_labels": [], "when": {}, "do": [], "say_style": {}, "ban": [], "few_shot_ids": [],
    "priority": 100, "active": True,
}
MODULE_FIELD_BUMPS = {
    "intent_labels": "major",
    "when": "minor", "do": "minor", "ban": "minor", "few_shot_ids": "minor",
    "say_style": "patch", "priority": "patch",
}
_EXAMPLE_FIELD_ORDER = ("id", "intent_label", "prompt", "response", "tags")
_MODULE_FIELD_ORDER = ("id", *MODULE_DEFAULTS)
_WORDS_RE = re.compile(r"\w+|[^\w\s]")


class _Missing:
    """The absent side of an added or removed change (`None` is a JSON value, so it cannot be)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Missing, ())


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Change:
    """One structural change.

    `path` is a JSON Pointer into the newer document for "added" and "changed", into the older one
    for "removed"; list items are named by their index in that document, and `item_id` names the
    module or example by id as well. `note` is "reordered" for a list whose kept items changed order
    (`path` is then the list, `before`/`after` its kept items in each order) and "matched by
    position" for changes of an example without id paired with the one at the same index.
    """

    path: str
    kind: str  # "added" | "removed" | "changed"
    section: str
    before: Any = MISSING
    after: Any = MISSING
    item_id: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; no "before" for an added item, no "after" for a removed one."""
        data: dict[str, Any] = {"path": self.path, "kind": self.kind, "section": self.section,
                                "item_id": self.item_id, "note": self.note}
        if self.before is not MISSING:
            data["before"] = copy.deepcopy(self.before)
        if self.after is not MISSING:
            data["after"] = copy.deepcopy(self.after)
        return data


@dataclass(frozen=True, slots=True)
class SpecDiff:
    changes: tuple[Change, ...]
    size_delta_chars: int
    suggested_bump: str  # one of BUMPS
    bump_reasons: tuple[str, ...]  # strongest first, one per fired rule

    @property
    def identical(self) -> bool:
        return not self.changes

    def as_dict(self) -> dict[str, Any]:
        return {
            "changes": [change.as_dict() for change in self.changes],
            "size_delta_chars": self.size_delta_chars,
            "suggested_bump": self.suggested_bump,
            "bump_reasons": list(self.bump_reasons),
        }


def spec_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> SpecDiff:
    """The changes from `before` (older) to `after` (newer), and the bump they call for.

    `version` and `schema_version` are not compared. The bump is the strongest rule that fired, or
    "none" exactly when there are no changes.
    """
    diff = _Diff()
    extra_keys = sorted((before.keys() | after.keys()) - IGNORED_KEYS - set(SECTION_ORDER))
    for section in (*SECTION_ORDER, *extra_keys):
        old, new = before.get(section, MISSING), after.get(section, MISSING)
        if section in _SECTION_DIFFERS:
            _SECTION_DIFFERS[section](diff, old, new)
        elif section in MAPPING_BUMPS:
            _free_form(diff, section, MAPPING_BUMPS[section], f"/{section}", _or(old, {}), _or(new, {}))
        else:
            _value(diff, section, OTHER_BUMP, f"/{_escape(section)}", old, new)
    return diff.result(len(canonical_json(after)) - len(canonical_json(before)))


def suggest_next_version(base_version: str, bump: str) -> str:
    """The version after `base_version` for `bump`: "1.2.3" -> major "2.0.0", minor "1.3.0", patch
    "1.2.4". "none" also gives the next patch: stored content is immutable, so even a copy needs a
    new number. Pass the twin's highest version, not necessarily the one compared against."""
    major, minor, patch = parse_semver(base_version)
    if bump == "major":
        return format_semver((major + 1, 0, 0))
    if bump == "minor":
        return format_semver((major, minor + 1, 0))
    if bump in ("patch", "none"):
        return format_semver((major, minor, patch + 1))
    raise ValueError(f"unknown bump {bump!r}; expected one of {', '.join(reversed(BUMPS))}")


# --------------------------------------------------------------------------------------------
# Collecting changes and the rules they fire
# --------------------------------------------------------------------------------------------


class _Diff:
    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.reasons: list[tuple[int, str]] = []

    def add(self, bump: str, reason: str, path: str, kind: str, section: str, before: Any = MISSING,
            after: Any = MISSING, *, item_id: str | None = None, note: str | None = None) -> None:
        # Copies: a diff must not change when the caller later edits the documents it came from.
        self.changes.append(Change(path, kind, section, copy.deepcopy(before), copy.deepcopy(after),
                                   item_id, note))
        self.reasons.append((BUMPS.index(bump), reason))

    def result(self, size_delta: int) -> SpecDiff:
        # Stable sort: equally strong reasons keep the order of the changes.
        ordered = dict.fromkeys(reason for _, reason in sorted(self.reasons, key=lambda r: -r[0]))
        reasons = list(ordered)
        if len(reasons) > MAX_BUMP_REASONS:
            rest = len(reasons) - (MAX_BUMP_REASONS - 1)
            reasons = [*reasons[: MAX_BUMP_REASONS - 1], f"… and {rest} more"]
        bump = BUMPS[max((rank for rank, _ in self.reasons), default=0)]
        return SpecDiff(tuple(self.changes), size_delta, bump, tuple(reasons))


# --------------------------------------------------------------------------------------------
# Free-form values
# --------------------------------------------------------------------------------------------


def _free_form(diff: _Diff, section: str, bump: str, path: str, old: Any, new: Any) -> None:
    """Leaf changes of two mappings: nested mappings recurse, anything else (lists too) is one value."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        _value(diff, section, bump, path, old, new)
        return
    for key in sorted(old.keys() | new.keys()):
        _free_form(diff, section, bump, f"{path}/{_escape(key)}", old.get(key, MISSING), new.get(key, MISSING))


def _value(diff: _Diff, section: str, bump: str, path: str, old: Any, new: Any) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        _free_form(diff, section, bump, path, old, new)
    elif old is MISSING and new is not MISSING:
        diff.add(bump, f"{section} added: {path}", path, "added", section, after=new)
    elif new is MISSING and old is not MISSING:
        diff.add(bump, f"{section} removed: {path}", path, "removed", section, before=old)
    elif not _same(old, new):
        diff.add(bump, f"{section} changed: {path}", path, "changed", section, old, new)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: unlike ==, 1 is not true and 1 is not 1.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(value, b[key]) for key, value in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


# --------------------------------------------------------------------------------------------
# Lists of strings: constitution, banned phrases, anti-style rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StringRules:
    noun: str  # "constitution rule"
    plural: str
    removed: str  # bumps
    added: str
    reworded: str | None  # None: a changed string is one removed and one added
    reordered: str = "patch"


_CONSTITUTION = _StringRules("constitution rule", "constitution rules", "major", "minor", "patch")
_BANNED = _StringRules("banned phrase", "banned phrases", "major", "minor", None)
_ANTI_STYLE = _StringRules("anti-style rule", "anti-style rules", "minor", "minor", "patch")


def _strings(diff: _Diff, section: str, path: str, rules: _StringRules, old: Any, new: Any) -> None:
    old, new = _or(old, []), _or(new, [])
    if not (isinstance(old, list) and isinstance(new, list)):
        _value(diff, section, OTHER_BUMP, path, old, new)
        return
    pairs, removed, added = _match_equal(old, new, key=_json_key)
    reworded: list[tuple[int, int]] = []
    if rules.reworded:
        reworded, removed, added = _match_similar(old, new, removed, added)
    if _out_of_order(pairs + reworded):
        kept = sorted(pairs + reworded)
        diff.add(rules.reordered, f"{rules.plural} reordered", path, "changed", section,
                 [old[i] for i, _ in kept], [new[j] for _, j in sorted(kept, key=lambda p: p[1])],
                 note=REORDERED)
    for i, j in sorted(reworded, key=lambda p: p[1]):
        diff.add(rules.reworded, f"{rules.noun} reworded: {_quote(old[i])}", f"{path}/{j}", "changed",
                 section, old[i], new[j])
    for j in added:
        diff.add(rules.added, f"{rules.noun} added: {_quote(new[j])}", f"{path}/{j}", "added", section,
                 after=new[j])
    for i in removed:
        diff.add(rules.removed, f"{rules.noun} removed: {_quote(old[i])}", f"{path}/{i}", "removed", section,
                 before=old[i])


def _match_similar(old: Sequence[Any], new: Sequence[Any], removed: list[int], added: list[int]):
    """Pairs (old, new) of unmatched strings whose words are alike (ratio >= SIMILAR_RULE_RATIO),
    the closest first; and what stays unpaired.

    Words and punctuation, not characters: a reviewer reads "fabricate" -> "invent" as one word
    changed, and any two English sentences share most of their letters. Each comparison is
    quadratic, so past MAX_SIMILARITY_COMPARISONS (every rule of a full constitution replaced)
    nothing is paired: the strings count as removed and added, the stronger reading.
    """
    if len(removed) * len(added) > MAX_SIMILARITY_COMPARISONS:
        return [], removed, added
    old_words = {i: _WORDS_RE.findall(old[i]) for i in removed if isinstance(old[i], str)}
    scored: list[tuple[float, int, int]] = []
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for j in added:
        if not isinstance(new[j], str):
            continue
        matcher.set_seq2(_WORDS_RE.findall(new[j]))  # the matcher caches its analysis of seq2
        for i, words in old_words.items():
            matcher.set_seq1(words)
            if (matcher.real_quick_ratio() >= SIMILAR_RULE_RATIO and matcher.quick_ratio() >= SIMILAR_RULE_RATIO
                    and (ratio := matcher.ratio()) >= SIMILAR_RULE_RATIO):
                scored.append((-ratio, i, j))
    pairs: list[tuple[int, int]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, i, j in sorted(scored):
        if i not in used_old and j not in used_new:
            pairs.append((i, j))
            used_old.add(i)
            used_new.add(j)
    return pairs, [i for i in removed if i not in used_old], [j for j in added if j not in used_new]


# --------------------------------------------------------------------------------------------
# Procedural modules
# --------------------------------------------------------------------------------------------


def _modules(diff: _Diff, old: Any, new: Any) -> None:
    section = "procedural_modules"
    old, new = _or(old, []), _or(new, [])
    if not (isinstance(old, list) and isinstance(new, list)):
        _value(diff, section, OTHER_BUMP, f"/{section}", old, new)
        return
    # Order is not compared: the compiler orders selected modules by priority, then id.
    pairs, removed, added = _match_equal(old, new, key=_module_id)
    for i, j in sorted(pairs, key=lambda p: p[1]):
        module_id = new[j]["id"]
        before, after = _with_defaults(old[i], MODULE_DEFAULTS), _with_defaults(new[j], MODULE_DEFAULTS)
        for name, old_value, new_value in _field_pairs(before, after, _MODULE_FIELD_ORDER):
            bump, reason = _module_field_rule(module_id, name, old_value, new_value)
            _field_change(diff, section, bump, reason, f"/{section}/{i}/{_escape(name)}",
                          f"/{section}/{j}/{_escape(name)}", old_value, new_value, item_id=module_id)
    for j in added:
        module_id = _module_id(new[j])
        diff.add("minor", f"procedural module added: {_quote(module_id)}", f"/{section}/{j}", "added", section,
                 after=new[j], item_id=module_id)
    for i in removed:
        module_id = _module_id(old[i])
        diff.add("major", f"procedural module removed: {_quote(module_id)}", f"/{section}/{i}", "removed",
                 section, before=old[i], item_id=module_id)


def _module_field_rule(module_id: str, name: str, old: Any, new: Any) -> tuple[str, str]:
    if name == "active" and old is True and new is False:
        return "major", f"procedural module deactivated: {_quote(module_id)}"
    if name == "active" and old is False and new is True:
        return "minor", f"procedural module reactivated: {_quote(module_id)}"
    return MODULE_FIELD_BUMPS.get(name, OTHER_BUMP), f"procedural module {_quote(module_id)}: {name} changed"


def _module_id(module: Any) -> str | None:
    module_id = module.get("id") if isinstance(module, dict) else None
    return module_id if isinstance(module_id, str) else None


# --------------------------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------------------------


def _examples(section: str) -> Callable[[_Diff, Any, Any], None]:
    noun = section.removesuffix("s").replace("_", " ")  # "canonical example", "anti example"
    noun = noun.replace("anti example", "anti-example")

    def differ(diff: _Diff, old: Any, new: Any) -> None:
        old, new = _or(old, []), _or(new, [])
        if not (isinstance(old, list) and isinstance(new, list)) or not all(
            isinstance(item, dict) for item in (*old, *new)
        ):
            _value(diff, section, OTHER_BUMP, f"/{section}", old, new)
            return
        stored_old, stored_new = old, new
        old = [_with_defaults(example, {"tags": []}) for example in old]
        new = [_with_defaults(example, {"tags": []}) for example in new]
        by_id, by_content, by_position = _match_examples(old, new)
        matched = by_id + by_content + by_position
        # The compiler breaks few-shot ties by example order and lists anti-examples in order.
        if _out_of_order(matched):
            kept = sorted(matched)
            diff.add("patch", f"{noun}s reordered", f"/{section}", "changed", section,
                     [_label(old[i]) for i, _ in kept],
                     [_label(new[j]) for _, j in sorted(kept, key=lambda p: p[1])], note=REORDERED)
        positional = set(by_position)
        for i, j in sorted(matched, key=lambda p: p[1]):
            label = _label(new[j]) if "id" in new[j] else _label(old[i])
            item_id = new[j].get("id", old[i].get("id"))
            note = MATCHED_BY_POSITION if (i, j) in positional else None
            for name, old_value, new_value in _field_pairs(old[i], new[j], _EXAMPLE_FIELD_ORDER):
                _field_change(diff, section, "patch", f"{noun} edited: {_quote(label)}",
                              f"/{section}/{i}/{_escape(name)}", f"/{section}/{j}/{_escape(name)}",
                              old_value, new_value, item_id=item_id, note=note)
        _, removed, added = _unmatched(len(old), len(new), matched)
        for j in added:
            diff.add("minor", f"{noun} added: {_quote(_label(new[j]))}", f"/{section}/{j}", "added", section,
                     after=stored_new[j], item_id=new[j].get("id"))
        for i in removed:
            diff.add("minor", f"{noun} removed: {_quote(_label(old[i]))}", f"/{section}/{i}", "removed",
                     section, before=stored_old[i], item_id=old[i].get("id"))

    return differ


def _match_examples(old: list[dict[str, Any]], new: list[dict[str, Any]]):
    """Pairs (old index, new index) by id, then by content, then by position.

    Two examples with different ids never pair: that is one example removed and another added.
    Content is (prompt, intent_label), used when at most one of the two has an id; position pairs
    examples without ids left at the same index.
    """
    by_id, _, _ = _match_equal(old, new, key=lambda example: example.get("id"))
    _, old_left, new_left = _unmatched(len(old), len(new), by_id)

    by_content: list[tuple[int, int]] = []
    waiting: dict[tuple[Any, Any], list[int]] = {}
    for j in new_left:
        waiting.setdefault(_content_key(new[j]), []).append(j)
    for i in old_left:
        candidates = waiting.get(_content_key(old[i]), [])
        j = next((j for j in candidates if "id" not in old[i] or "id" not in new[j]), None)
        if j is not None:
            candidates.remove(j)
            by_content.append((i, j))
    _, old_left, new_left = _unmatched(len(old), len(new), by_id + by_content)

    unmatched_new = set(new_left)
    by_position = [(i, i) for i in old_left if i in unmatched_new and "id" not in old[i] and "id" not in new[i]]
    return by_id, by_content, by_position


def _content_key(example: dict[str, Any]) -> tuple[str, str]:
    return _json_key(example.get("prompt")), _json_key(example.get("intent_label"))


def _label(example: dict[str, Any]) -> str:
    """An example as a reviewer recognises it: its id, or its prompt."""
    label = example.get("id", example.get("prompt", ""))
    return label if isinstance(label, str) else canonical_json(label)


# --------------------------------------------------------------------------------------------
# deterministic_rules, and the table of section differs
# --------------------------------------------------------------------------------------------


def _deterministic_rules(diff: _Diff, old: Any, new: Any) -> None:
    section = "deterministic_rules"
    old, new = _or(old, {}), _or(new, {})
    if not (isinstance(old, dict) and isinstance(new, dict)):
        _value(diff, section, OTHER_BUMP, f"/{section}", old, new)
        return
    _strings(diff, section, f"/{section}/banned_phrases", _BANNED,
             old.get("banned_phrases", MISSING), new.get("banned_phrases", MISSING))
    _strings(diff, section, f"/{section}/anti_style_rules", _ANTI_STYLE,
             old.get("anti_style_rules", MISSING), new.get("anti_style_rules", MISSING))
    for key in sorted((old.keys() | new.keys()) - {"banned_phrases", "anti_style_rules"}):
        _free_form(diff, section, OTHER_BUMP, f"/{section}/{_escape(key)}",
                   old.get(key, MISSING), new.get(key, MISSING))


def _constitution(diff: _Diff, old: Any, new: Any) -> None:
    _strings(diff, "constitution", "/constitution", _CONSTITUTION, old, new)


_SECTION_DIFFERS: dict[str, Callable[[_Diff, Any, Any], None]] = {
    "constitution": _constitution,
    "procedural_modules": _modules,
    "canonical_examples": _examples("canonical_examples"),
    "anti_examples": _examples("anti_examples"),
    "deterministic_rules": _deterministic_rules,
}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _match_equal(old: Sequence[Any], new: Sequence[Any], key: Callable[[Any], Any]):
    """Pairs (old index, new index) of items with an equal, non-None key, each item used once, in
    order (the first of two equal rules pairs with the first); and the unpaired indices of each."""
    waiting: dict[Any, list[int]] = {}
    for j, item in enumerate(new):
        if (item_key := key(item)) is not None:
            waiting.setdefault(item_key, []).append(j)
    pairs = []
    for i, item in enumerate(old):
        if (item_key := key(item)) is not None and waiting.get(item_key):
            pairs.append((i, waiting[item_key].pop(0)))
    return _unmatched(len(old), len(new), pairs)


def _unmatched(old_count: int, new_count: int, pairs: list[tuple[int, int]]):
    old_used = {i for i, _ in pairs}
    new_used = {j for _, j in pairs}
    return (pairs, [i for i in range(old_count) if i not in old_used],
            [j for j in range(new_count) if j not in new_used])


def _out_of_order(pairs: list[tuple[int, int]]) -> bool:
    """Whether the kept items are in a different relative order in the newer list."""
    new_positions = [j for _, j in sorted(pairs)]
    return any(a > b for a, b in zip(new_positions, new_positions[1:]))


def _field_pairs(old: dict[str, Any], new: dict[str, Any], order: Sequence[str]):
    """(name, old value or MISSING, new value or MISSING) for every field that differs."""
    names = [*order, *sorted((old.keys() | new.keys()) - set(order))]
    for name in names:
        old_value, new_value = old.get(name, MISSING), new.get(name, MISSING)
        if not _same(old_value, new_value):
            yield name, old_value, new_value


def _field_change(diff: _Diff, section: str, bump: str, reason: str, old_path: str, new_path: str,
                  old: Any, new: Any, *, item_id: str | None, note: str | None = None) -> None:
    if old is MISSING:
        diff.add(bump, reason, new_path, "added", section, after=new, item_id=item_id, note=note)
    elif new is MISSING:
        diff.add(bump, reason, old_path, "removed", section, before=old, item_id=item_id, note=note)
    else:
        diff.add(bump, reason, new_path, "changed", section, old, new, item_id=item_id, note=note)


def _with_defaults(item: Any, defaults: Mapping[str, Any]) -> Any:
    if not isinstance(item, dict):
        return item
    # An example's id may be stored as null, which means "no id".
    return {**defaults, **{key: value for key, value in item.items() if not (key == "id" and value is None)}}


def _json_key(value: Any) -> Any:
    """A hashable key under which equal JSON values (and only those) are equal."""
    return value if isinstance(value, str) else canonical_json(value)


def _or(value: Any, default: Any) -> Any:
    return default if value is MISSING else value


def _escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _quote(text: Any, limit: int = 60) -> str:
    text = text if isinstance(text, str) else canonical_json(text)
    text = " ".join(text.split())
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"
