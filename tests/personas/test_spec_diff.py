"""Structural spec diff and the suggested version bump (plain Python, no Django, no database)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from personas.spec import canonical_json, validate_spec
from personas.spec_diff import MISSING, REORDERED, Change, spec_diff, suggest_next_version
from tests.personas.builders import example_spec, max_spec

MODULES = "procedural_modules"
CLARIFY = "procedural.decision.clarify_before_advice"  # /procedural_modules/0 of the example
CITE = "procedural.factual.cite_or_disclose"  # /procedural_modules/1


def only_change(before: dict, after: dict) -> Change:
    diff = spec_diff(before, after)
    assert len(diff.changes) == 1, diff.changes
    return diff.changes[0]


def example(example_id: str | None = None, prompt: str = "Q?", response: str = "A.", **fields) -> dict:
    data = {"intent_label": "advice_or_stance", "prompt": prompt, "response": response, **fields}
    if example_id is not None:
        data["id"] = example_id
    return data


# --------------------------------------------------------------------------------------------
# No change
# --------------------------------------------------------------------------------------------


def test_identical_specs_are_no_change():
    diff = spec_diff(example_spec(), example_spec())

    assert diff.changes == ()
    assert diff.identical
    assert diff.suggested_bump == "none"
    assert diff.bump_reasons == ()
    assert diff.size_delta_chars == 0


def test_version_and_schema_version_are_not_compared():
    after = example_spec(version="7.3.1")
    del after["schema_version"]

    diff = spec_diff(example_spec(version="1.0.0"), after)

    assert (diff.changes, diff.suggested_bump) == ((), "none")
    assert diff.size_delta_chars == -len(',"schema_version":1')  # "1.0.0" and "7.3.1": same length


def test_reordered_modules_are_no_change():
    after = example_spec()
    after[MODULES].reverse()

    assert spec_diff(example_spec(), after).changes == ()


def test_defaults_written_out_or_left_out_are_no_change():
    before = example_spec()
    for module in before[MODULES]:
        del module["active"]
    del before[MODULES][1]["ban"]  # it was []
    before["metadata"] = {}
    after = example_spec()
    del after["metadata"]
    after["canonical_examples"][0]["id"] = after["canonical_examples"][0].pop("id")  # key order differs too

    assert spec_diff(before, after).changes == ()


def test_json_types_are_compared_exactly():
    change = only_change(example_spec(metadata={"count": 1}), example_spec(metadata={"count": True}))

    assert (change.path, change.before, change.after) == ("/metadata/count", 1, True)


# --------------------------------------------------------------------------------------------
# Procedural modules: matched by id
# --------------------------------------------------------------------------------------------


def test_module_do_changed_is_one_change_at_its_path_in_the_newer_document():
    after = example_spec()
    after[MODULES].reverse()  # the edited module is now at index 1
    after[MODULES][1]["do"] = ["ask_one_clarifying_question"]

    diff = spec_diff(example_spec(), after)

    assert [c.as_dict() for c in diff.changes] == [{
        "path": "/procedural_modules/1/do", "kind": "changed", "section": MODULES, "item_id": CLARIFY,
        "note": None,
        "before": ["ask_one_clarifying_question", "state_assumptions_if_answering"],
        "after": ["ask_one_clarifying_question"],
    }]
    assert diff.suggested_bump == "minor"
    assert diff.bump_reasons == (f"procedural module '{CLARIFY}': do changed",)


def test_module_removed_is_major_at_its_path_in_the_older_document():
    before = example_spec()
    after = example_spec()
    del after[MODULES][1]

    diff = spec_diff(before, after)

    assert diff.suggested_bump == "major"
    assert [c.as_dict() for c in diff.changes] == [{
        "path": "/procedural_modules/1", "kind": "removed", "section": MODULES, "item_id": CITE, "note": None,
        "before": before[MODULES][1],
    }]
    assert diff.bump_reasons == (f"procedural module removed: '{CITE}'",)


def test_module_added_is_minor():
    after = example_spec()
    after[MODULES].insert(0, {"id": "procedural.new", "intent_labels": ["meta_or_system"], "do": ["explain"]})

    diff = spec_diff(example_spec(), after)

    assert [(c.path, c.kind, c.item_id) for c in diff.changes] == [("/procedural_modules/0", "added", "procedural.new")]
    assert diff.changes[0].before is MISSING
    assert diff.suggested_bump == "minor"


def test_renamed_module_is_one_removed_and_one_added():
    after = example_spec()
    after[MODULES][1]["id"] = "procedural.factual.renamed"

    diff = spec_diff(example_spec(), after)

    assert sorted((c.kind, c.item_id) for c in diff.changes) == [
        ("added", "procedural.factual.renamed"), ("removed", CITE)]
    assert diff.suggested_bump == "major"


@pytest.mark.parametrize(
    ("field", "before", "after", "bump"),
    [
        ("active", True, False, "major"),
        ("active", False, True, "minor"),
        ("intent_labels", ["factual_with_evidence"], ["factual_with_evidence", "advice_or_stance"], "major"),
        ("when", {"requires_evidence": True}, {"requires_evidence": False}, "minor"),
        ("ban", [], ["Honestly,"], "minor"),
        ("few_shot_ids", ["ex.facts.runway"], [], "minor"),
        ("say_style", {"format": "concise"}, {"format": "bullets"}, "patch"),
        ("priority", 40, 45, "patch"),
    ],
)
def test_module_field_bumps(field, before, after, bump):
    old, new = example_spec(), example_spec()
    old[MODULES][1][field] = before
    new[MODULES][1][field] = after

    change = only_change(old, new)

    assert (change.path, change.kind, change.item_id) == (f"/procedural_modules/1/{field}", "changed", CITE)
    assert (change.before, change.after) == (before, after)
    assert spec_diff(old, new).suggested_bump == bump


def test_module_deactivated_by_a_field_left_out_of_the_older_version_is_major():
    old, new = example_spec(), example_spec()
    del old[MODULES][1]["active"]
    new[MODULES][1]["active"] = False

    diff = spec_diff(old, new)

    assert [(c.path, c.before, c.after) for c in diff.changes] == [("/procedural_modules/1/active", True, False)]
    assert diff.bump_reasons == (f"procedural module deactivated: '{CITE}'",)


# --------------------------------------------------------------------------------------------
# Constitution: matched by text
# --------------------------------------------------------------------------------------------

RULES = example_spec()["constitution"]


def test_constitution_rule_added_is_minor():
    diff = spec_diff(example_spec(), example_spec(constitution=[RULES[0], "Keep answers short.", *RULES[1:]]))

    assert [(c.path, c.kind, c.after) for c in diff.changes] == [("/constitution/1", "added", "Keep answers short.")]
    assert diff.suggested_bump == "minor"
    assert diff.bump_reasons == ("constitution rule added: 'Keep answers short.'",)


def test_constitution_rule_removed_is_major_even_when_others_are_added():
    diff = spec_diff(example_spec(), example_spec(constitution=[RULES[1], RULES[2], "Keep answers short."]))

    assert sorted((c.kind, c.path) for c in diff.changes) == [("added", "/constitution/2"), ("removed", "/constitution/0")]
    assert diff.suggested_bump == "major"
    assert diff.bump_reasons == ("constitution rule removed: 'Never fabricate sources, numbers or certainty.'",
                                 "constitution rule added: 'Keep answers short.'")


def test_constitution_rule_small_edit_is_one_changed_rule_and_a_patch():
    edited = "Never invent sources, numbers or certainty."
    diff = spec_diff(example_spec(), example_spec(constitution=[RULES[1], edited, RULES[2]]))

    # The kept rules swapped places as well: that is reported once, apart from the edit.
    assert [c.as_dict() for c in diff.changes] == [
        {"path": "/constitution", "kind": "changed", "section": "constitution", "item_id": None, "note": REORDERED,
         "before": [RULES[0], RULES[1], RULES[2]], "after": [RULES[1], edited, RULES[2]]},
        {"path": "/constitution/1", "kind": "changed", "section": "constitution", "item_id": None, "note": None,
         "before": RULES[0], "after": edited},
    ]
    assert diff.suggested_bump == "patch"


def test_the_ratio_measures_wording_not_meaning():
    before = example_spec(constitution=["Never share client names"])
    after = example_spec(constitution=["Always share client names"])

    assert (only_change(before, after).kind, spec_diff(before, after).suggested_bump) == ("changed", "patch")


def test_constitution_rule_rewritten_beyond_recognition_is_removed_and_added():
    diff = spec_diff(example_spec(), example_spec(constitution=[RULES[0], RULES[1], "Answer in French."]))

    assert [(c.kind, c.path) for c in diff.changes] == [("added", "/constitution/2"), ("removed", "/constitution/2")]
    assert diff.suggested_bump == "major"


def test_constitution_reordered_is_one_change_and_a_patch():
    diff = spec_diff(example_spec(), example_spec(constitution=[RULES[2], RULES[0], RULES[1]]))

    assert [c.as_dict() for c in diff.changes] == [{
        "path": "/constitution", "kind": "changed", "section": "constitution", "item_id": None,
        "note": REORDERED, "before": RULES, "after": [RULES[2], RULES[0], RULES[1]],
    }]
    assert (diff.suggested_bump, diff.bump_reasons) == ("patch", ("constitution rules reordered",))


def test_constitution_rule_moved_past_an_added_one_is_not_a_reorder():
    diff = spec_diff(example_spec(), example_spec(constitution=["Keep answers short.", *RULES]))

    assert [(c.kind, c.path) for c in diff.changes] == [("added", "/constitution/0")]


def test_each_reworded_rule_pairs_with_the_closest_one():
    before = max_spec()
    after = max_spec()
    after["constitution"] = [rule.replace("never", "never ever") for rule in after["constitution"]]
    after["constitution"].reverse()
    count = len(after["constitution"])

    diff = spec_diff(before, after)

    reworded = [c for c in diff.changes if c.note is None]
    assert [(c.before, c.after) for c in reworded] == [
        (before["constitution"][count - 1 - j], after["constitution"][j]) for j in range(count)]
    assert [c.path for c in reworded] == [f"/constitution/{j}" for j in range(count)]
    assert diff.changes[0].note == REORDERED
    assert diff.suggested_bump == "patch"


def test_too_many_rules_to_compare_count_as_removed_and_added():
    rules = [f"Rule number {n} says to keep it short" for n in range(60)]
    before = example_spec(deterministic_rules={"anti_style_rules": rules})
    few = example_spec(deterministic_rules={"anti_style_rules": [*rules[:50], *(f"{r}." for r in rules[50:])]})
    every = example_spec(deterministic_rules={"anti_style_rules": [f"{rule}." for rule in rules]})

    assert {c.kind for c in spec_diff(before, few).changes} == {"changed"}
    assert sorted({c.kind for c in spec_diff(before, every).changes}) == ["added", "removed"]
    assert len(spec_diff(before, every).changes) == 120


def test_duplicate_constitution_rules_pair_one_to_one():
    diff = spec_diff(example_spec(constitution=[RULES[0], RULES[0]]), example_spec(constitution=[RULES[0]]))

    assert [(c.kind, c.path) for c in diff.changes] == [("removed", "/constitution/1")]


# --------------------------------------------------------------------------------------------
# Examples: by id, else content, else position
# --------------------------------------------------------------------------------------------


def test_example_swapped_for_one_with_another_id_is_removed_and_added():
    after = example_spec()
    after["canonical_examples"][2] = example("ex.new", "What is our burn?", "Send me the numbers.")
    after[MODULES][1]["few_shot_ids"] = ["ex.new"]

    diff = spec_diff(example_spec(), after)

    assert [(c.section, c.kind, c.path, c.item_id) for c in diff.changes] == [
        (MODULES, "changed", "/procedural_modules/1/few_shot_ids", CITE),
        ("canonical_examples", "added", "/canonical_examples/2", "ex.new"),
        ("canonical_examples", "removed", "/canonical_examples/2", "ex.facts.runway"),
    ]
    assert diff.changes[1].after == after["canonical_examples"][2]
    assert diff.suggested_bump == "minor"


def test_same_content_under_a_different_id_is_still_removed_and_added():
    after = example_spec()
    after["anti_examples"][0]["id"] = "anti.generic.v2"

    assert [c.kind for c in spec_diff(example_spec(), after).changes] == ["added", "removed"]


def test_example_edited_is_a_patch_at_its_path_with_its_id():
    after = example_spec()
    after["canonical_examples"][1]["response"] = "Size it to the next two proof points."

    change = only_change(example_spec(), after)

    assert (change.path, change.kind, change.item_id) == ("/canonical_examples/1/response", "changed",
                                                          "ex.fundraising.size")
    assert spec_diff(example_spec(), after).bump_reasons == ("canonical example edited: 'ex.fundraising.size'",)


def test_examples_without_ids_are_matched_by_content():
    before = example_spec(anti_examples=[example(prompt="One?"), example(prompt="Two?"), example(prompt="Three?")])
    after = example_spec(anti_examples=[example(prompt="Three?"), example(prompt="One?", response="B."),
                                        example(prompt="Two?")])

    diff = spec_diff(before, after)

    assert [(c.path, c.kind, c.note, c.before, c.after) for c in diff.changes] == [
        ("/anti_examples", "changed", REORDERED, ["One?", "Two?", "Three?"], ["Three?", "One?", "Two?"]),
        ("/anti_examples/1/response", "changed", None, "A.", "B."),
    ]
    assert diff.suggested_bump == "patch"


def test_example_gaining_an_id_is_matched_by_content():
    after = example_spec(anti_examples=[example("anti.q", prompt="Q?")])

    change = only_change(example_spec(anti_examples=[example(prompt="Q?")]), after)

    assert (change.path, change.kind, change.after, change.item_id) == ("/anti_examples/0/id", "added", "anti.q",
                                                                        "anti.q")


def test_examples_without_ids_fall_back_to_position():
    before = example_spec(anti_examples=[example(prompt="Old question?")])
    after = example_spec(anti_examples=[example(prompt="New question?")])

    change = only_change(before, after)

    assert (change.path, change.kind, change.note) == ("/anti_examples/0/prompt", "changed", "matched by position")


def test_example_reordered_by_id_is_a_patch():
    after = example_spec()
    after["canonical_examples"].reverse()

    change = only_change(example_spec(), after)

    assert (change.path, change.note) == ("/canonical_examples", REORDERED)
    assert change.after == ["ex.facts.runway", "ex.fundraising.size", "ex.pricing.pilot"]


# --------------------------------------------------------------------------------------------
# Free-form mappings and deterministic_rules
# --------------------------------------------------------------------------------------------


def test_nested_mapping_leaf_change_has_its_full_path():
    before = example_spec()
    before["identity_voice"]["tone"] = {"register": "casual", "warmth": "high"}
    after = example_spec()
    after["identity_voice"]["tone"] = {"register": "formal", "warmth": "high"}

    change = only_change(before, after)

    assert (change.path, change.section, change.kind, change.before, change.after) == (
        "/identity_voice/tone/register", "identity_voice", "changed", "casual", "formal")
    assert spec_diff(before, after).suggested_bump == "patch"


def test_lists_inside_mappings_compare_as_whole_values():
    after = example_spec()
    after["identity_voice"]["signature_phrases"].append("Show me the numbers.")

    change = only_change(example_spec(), after)

    assert change.path == "/identity_voice/signature_phrases"
    assert change.after[-1] == "Show me the numbers."


def test_mapping_keys_are_escaped_in_paths():
    change = only_change(example_spec(metadata={"a/b~c": 1}), example_spec(metadata={"a/b~c": 2}))

    assert change.path == "/metadata/a~1b~0c"


@pytest.mark.parametrize(
    ("section", "bump"),
    [("decision_policy", "major"), ("stance_values", "minor"), ("identity_voice", "patch"),
     ("interaction_style", "patch"), ("metadata", "patch")],
)
def test_mapping_section_bumps(section, bump):
    after = example_spec()
    after[section] = {**after[section], "new_key": "value"}

    diff = spec_diff(example_spec(), after)

    assert [(c.path, c.kind) for c in diff.changes] == [(f"/{section}/new_key", "added")]
    assert diff.suggested_bump == bump


def test_decision_policy_change_is_major():
    after = example_spec()
    after["decision_policy"]["cite_when_factual"] = False

    diff = spec_diff(example_spec(), after)

    assert diff.suggested_bump == "major"
    assert diff.bump_reasons == ("decision_policy changed: /decision_policy/cite_when_factual",)


def test_banned_phrases_removed_is_major_and_added_is_minor():
    rules = example_spec()["deterministic_rules"]
    removed = example_spec(deterministic_rules={**rules, "banned_phrases": ["Great question!"]})
    added = example_spec(deterministic_rules={**rules, "banned_phrases": [*rules["banned_phrases"], "Honestly,"]})

    assert [(c.path, c.kind) for c in spec_diff(example_spec(), removed).changes] == [
        ("/deterministic_rules/banned_phrases/0", "removed")]
    assert spec_diff(example_spec(), removed).suggested_bump == "major"
    assert spec_diff(example_spec(), added).suggested_bump == "minor"


def test_banned_phrase_edit_is_a_removal():
    rules = example_spec()["deterministic_rules"]
    after = example_spec(deterministic_rules={**rules, "banned_phrases": ["As an AI language model", "Great question"]})

    diff = spec_diff(example_spec(), after)

    assert [c.kind for c in diff.changes] == ["added", "removed"]
    assert diff.suggested_bump == "major"


def test_anti_style_rule_reworded_is_a_patch_and_other_rule_keys_are_minor():
    rules = example_spec()["deterministic_rules"]
    reworded = {**rules, "anti_style_rules": ["Do not over-explain simple answers.", rules["anti_style_rules"][1]]}
    extra = {**rules, "max_reply_chars": 800}

    change = only_change(example_spec(), example_spec(deterministic_rules=reworded))
    assert (change.path, change.kind) == ("/deterministic_rules/anti_style_rules/0", "changed")
    assert spec_diff(example_spec(), example_spec(deterministic_rules=reworded)).suggested_bump == "patch"
    assert spec_diff(example_spec(), example_spec(deterministic_rules=extra)).suggested_bump == "minor"


# --------------------------------------------------------------------------------------------
# The result as a whole
# --------------------------------------------------------------------------------------------


def test_size_delta_is_the_difference_of_canonical_json_lengths():
    after = example_spec(metadata={"author_note": "é"})

    diff = spec_diff(example_spec(), after)

    assert diff.size_delta_chars == len(canonical_json(after)) - len(canonical_json(example_spec()))
    assert diff.size_delta_chars == 1 - len("example spec for docs and tests")


def test_bump_reasons_are_strongest_first_deduplicated_and_bounded():
    after = example_spec()
    after["identity_voice"]["persona_profile"] = "Terse."
    after[MODULES][0]["do"] = ["x"]
    after[MODULES][0]["when"] = {}
    after[MODULES][0]["say_style"] = {}
    after["canonical_examples"][0]["prompt"] = "Free pilot?"
    after["canonical_examples"][0]["response"] = "No."
    after["decision_policy"]["cite_when_factual"] = False

    reasons = spec_diff(example_spec(), after).bump_reasons

    assert reasons == (
        "decision_policy changed: /decision_policy/cite_when_factual",
        f"procedural module '{CLARIFY}': when changed",
        f"procedural module '{CLARIFY}': do changed",
        "identity_voice changed: /identity_voice/persona_profile",
        f"procedural module '{CLARIFY}': say_style changed",
        "canonical example edited: 'ex.pricing.pilot'",  # two fields, one reason
    )

    many = example_spec(metadata={f"key{n:02}": n for n in range(30)})
    bounded = spec_diff(example_spec(metadata={}), many).bump_reasons
    assert len(bounded) == 20
    assert bounded[-1] == "… and 11 more"


def test_as_dict_is_json_and_leaves_out_the_absent_side():
    after = example_spec(constitution=[*RULES[1:], "Keep answers short."])
    after["decision_policy"]["cite_when_factual"] = False

    data = spec_diff(example_spec(), after).as_dict()

    assert json.loads(json.dumps(data)) == data
    by_kind = {change["kind"]: change for change in data["changes"]}
    assert "before" not in by_kind["added"] and by_kind["added"]["after"] == "Keep answers short."
    assert "after" not in by_kind["removed"] and by_kind["removed"]["before"] == RULES[0]
    assert {"before", "after"} <= by_kind["changed"].keys()
    assert set(data) == {"changes", "size_delta_chars", "suggested_bump", "bump_reasons"}
    assert data["suggested_bump"] == "major"


def test_a_null_value_is_kept_apart_from_an_absent_one():
    change = only_change(example_spec(metadata={"note": None}), example_spec(metadata={}))

    assert change.as_dict()["before"] is None
    assert "after" not in change.as_dict()


def test_the_diff_does_not_change_when_the_documents_do():
    before, after = example_spec(), example_spec()
    after[MODULES][0]["do"] = ["ask"]
    diff = spec_diff(before, after)

    after[MODULES][0]["do"].append("mutated")

    assert diff.changes[0].after == ["ask"]


def test_the_documented_example_is_what_the_diff_answers():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "persona-spec.md").read_text(encoding="utf-8")
    documented = docs.split("## Comparing versions and version numbers", 1)[1].split("```json\n", 1)[1]
    after = example_spec()
    after["constitution"][0] = "Never invent sources, numbers or certainty."
    after[MODULES][0]["do"] = ["ask_one_clarifying_question"]
    del after["anti_examples"][0]

    assert spec_diff(example_spec(), after).as_dict() == json.loads(documented.split("```", 1)[0])


# --------------------------------------------------------------------------------------------
# Whole fixtures
# --------------------------------------------------------------------------------------------


def test_max_fixture_against_itself_is_no_change():
    diff = spec_diff(max_spec(), max_spec())

    assert (diff.changes, diff.suggested_bump, diff.size_delta_chars) == ((), "none", 0)


def test_max_fixture_shuffled_where_order_does_not_matter_is_no_change():
    after = max_spec()
    random.Random(7).shuffle(after[MODULES])
    after = json.loads(json.dumps(after, sort_keys=True))  # key order too

    assert spec_diff(max_spec(), after).changes == ()


def test_diffing_against_an_empty_spec_reports_every_item():
    spec = max_spec()

    diff = spec_diff(spec, {})

    assert {c.kind for c in diff.changes} == {"removed"}
    assert diff.suggested_bump == "major"
    removed_items = sum(c.section in {"constitution", MODULES, "canonical_examples", "anti_examples"}
                        for c in diff.changes)
    sizes = sum(len(spec[s]) for s in ("constitution", MODULES, "canonical_examples", "anti_examples"))
    assert removed_items == sizes
    assert [c.kind for c in spec_diff({}, spec).changes] == ["added"] * len(diff.changes)


SINGLE_EDITS = {
    "/identity_voice/public_intro": lambda s: s["identity_voice"].update(public_intro="Hi."),
    "/constitution/1": lambda s: s["constitution"].__setitem__(1, s["constitution"][1] + " Always."),
    "/procedural_modules/0/priority": lambda s: s[MODULES][0].update(priority=7),
    "/procedural_modules/1/ban": lambda s: s[MODULES][1].update(ban=["Honestly,"]),
    "/canonical_examples/2/tags": lambda s: s["canonical_examples"][2].update(tags=[]),
    "/anti_examples/0/response": lambda s: s["anti_examples"][0].update(response="Sure!"),
    "/deterministic_rules/anti_style_rules/2": lambda s: s["deterministic_rules"]["anti_style_rules"].append("No."),
    "/stance_values/hiring/intensity": lambda s: s["stance_values"]["hiring"].update(intensity=7),
    "/metadata/author_note": lambda s: s["metadata"].pop("author_note"),
}


@pytest.mark.parametrize("path", SINGLE_EDITS)
def test_one_field_changed_in_the_example_fixture_is_exactly_one_change(path):
    after = example_spec()
    SINGLE_EDITS[path](after)
    assert validate_spec(after) == []

    assert only_change(example_spec(), after).path == path


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_one_string_replaced_in_the_example_fixture_is_one_change_or_one_item_swapped(data):
    before = example_spec()
    path = data.draw(st.sampled_from(sorted(_string_leaves(before, ""))))
    after = example_spec()
    container, key = _resolve(after, path)
    container[key] = data.draw(st.text(alphabet="abcdefgh .", min_size=1, max_size=40))  # never equal: no capitals
    section, *rest = path.split("/")[1:]

    found = [(c.kind, c.path) for c in spec_diff(before, after).changes]

    if section == "constitution" or rest[0] == "anti_style_rules":  # matched by text, or a close rewording
        assert found in ([("changed", path)], [("added", path), ("removed", path)])
    elif rest[0] == "banned_phrases" or rest[1:] == ["id"]:  # another phrase, another item
        item = path.rsplit("/", 1)[0] if rest[1:] == ["id"] else path
        assert found == [("added", item), ("removed", item)]
    elif section == MODULES or rest[1:2] == ["tags"] or rest[0] == "signature_phrases":  # whole values
        assert found == [("changed", "/".join(path.split("/")[:4 if section != "identity_voice" else 3]))]
    else:
        assert found == [("changed", path)]


def _string_leaves(value, path):
    """The JSON Pointer of every string in `value`."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            yield from _string_leaves(item, f"{path}/{key}")


def _resolve(document, path):
    """The container holding the value at `path`, and its key there."""
    *parents, last = path.split("/")[1:]
    for part in parents:
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document, int(last) if isinstance(document, list) else last


# --------------------------------------------------------------------------------------------
# Version numbers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "bump", "expected"),
    [
        ("1.2.3", "major", "2.0.0"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "patch", "1.2.4"),
        ("1.2.3", "none", "1.2.4"),
        ("0.9.9", "minor", "0.10.0"),
        ("1.0.9", "patch", "1.0.10"),
    ],
)
def test_suggest_next_version(base, bump, expected):
    assert suggest_next_version(base, bump) == expected


@pytest.mark.parametrize(("base", "bump"), [("1.2", "patch"), ("v1.2.3", "minor"), ("1.2.3", "huge"),
                                            ("2147483647.0.0", "major")])
def test_suggest_next_version_refuses_what_it_cannot_number(base, bump):
    with pytest.raises(ValueError):
        suggest_next_version(base, bump)


def test_the_diff_module_imports_without_django():
    check = "import sys, personas.spec_diff; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    root = Path(__file__).resolve().parents[2]

    assert subprocess.run([sys.executable, "-c", check], cwd=root, env={"PYTHONPATH": str(root)}).returncode == 0
