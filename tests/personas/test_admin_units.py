"""The review page's diff and the editor's JSON parsing, without a database."""

from __future__ import annotations

import json

import pytest

from personas.diffing import INTRALINE_MAX_CHARS, pretty_spec_json, side_by_side


def texts(segments) -> str:
    return "".join(segment.text for segment in segments)


def test_identical_texts_have_no_rows():
    diff = side_by_side("a\nb\n", "a\nb\n")
    assert diff.identical and diff.rows == () and (diff.added, diff.removed) == (0, 0)


def test_rows_pair_changed_lines_and_number_both_sides():
    diff = side_by_side("keep\nold line\ngone\ntail", "keep\nnew line\ntail\nextra")
    kinds = [(row.kind, row.left_number, texts(row.left), row.right_number, texts(row.right)) for row in diff.rows]
    assert kinds == [
        ("equal", 1, "keep", 1, "keep"),
        ("replace", 2, "old line", 2, "new line"),
        ("delete", 3, "gone", None, ""),
        ("equal", 4, "tail", 3, "tail"),
        ("insert", None, "", 4, "extra"),
    ]
    assert (diff.added, diff.removed) == (2, 2)


def test_long_unchanged_stretches_collapse_around_the_changes():
    old = "\n".join(f"line {n}" for n in range(1, 41))
    new = old.replace("line 20", "line twenty")
    diff = side_by_side(old, new, context=2)
    assert diff.rows[0].kind == "skip" and diff.rows[0].skipped == 17
    assert [row.left_number for row in diff.rows[1:6]] == [18, 19, 20, 21, 22]
    assert diff.rows[-1].kind == "skip" and diff.rows[-1].skipped == 18


def test_changed_words_are_marked_within_a_line():
    [row] = side_by_side("- Never fabricate sources.", "- Never invent sources.").rows
    assert [(s.text, s.changed) for s in row.left] == [("- Never ", False), ("fabricate", True), (" sources.", False)]
    assert [(s.text, s.changed) for s in row.right] == [("- Never ", False), ("invent", True), (" sources.", False)]


def test_mostly_different_or_very_long_lines_are_marked_whole():
    [row] = side_by_side("alpha beta gamma", "one two three").rows
    assert [(s.text, s.changed) for s in row.left] == [("alpha beta gamma", True)]
    long_old, long_new = "x " * INTRALINE_MAX_CHARS, "y " * INTRALINE_MAX_CHARS
    [row] = side_by_side(long_old, long_new).rows
    assert len(row.left) == 1 and row.left[0].changed


def test_markup_in_the_input_stays_plain_text():
    [row] = side_by_side("<b>", "<script>alert(1)</script>").rows
    assert texts(row.right) == "<script>alert(1)</script>"  # escaping is the template's job, and it does it


def test_pretty_spec_json_lays_the_spec_out_as_the_editor_does():
    spec = {"metadata": {"b": 1, "a": ["é"]}, "identity_voice": {"tone": "dry", "role": "CFO"}, "schema_version": 1,
            "canonical_examples": [{"response": "R", "prompt": "P", "intent_label": "meta_or_system"}]}
    assert pretty_spec_json(spec) == json.dumps({
        "schema_version": 1, "identity_voice": {"tone": "dry", "role": "CFO"},
        "canonical_examples": [{"intent_label": "meta_or_system", "prompt": "P", "response": "R"}],
        "metadata": {"b": 1, "a": ["é"]},  # free-form: its own order
    }, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("text, message", [
    ('{"a": 1,}', "line 1, column 9"),
    ('{"a": 1, "a": 2}', "the key 'a' appears twice in one object"),
    ('{"a": NaN}', "NaN is not valid JSON"),
    ('{"a": -Infinity}', "-Infinity is not valid JSON"),
    ("[" * 100_000, "nested too deeply"),
    ('{"a": ' * 65 + "1" + "}" * 65, "at /a/a/a"),
    ('{"notes": "a\\u0000b"}', "at /notes, a string must not contain the NUL character"),
    ('{"k\\u0000": 1}', "a key must not contain the NUL character"),
    ('{"n": 1' + "0" * 20 + "}", "at /n, a number must be between"),
])
def test_editor_text_must_be_strict_json(text, message):
    from personas.forms import SpecJsonError, parse_spec_text

    with pytest.raises(SpecJsonError, match=message):
        parse_spec_text(text)


def test_editor_text_of_a_stored_spec_leaves_out_its_version():
    from personas.forms import editor_text, parse_spec_text

    assert parse_spec_text(editor_text({"version": "1.0.3", "constitution": ["x"]})) == {"constitution": ["x"]}


def test_editor_text_lists_sections_in_the_schema_order_and_parses_back_to_the_spec():
    from personas.forms import editor_text, parse_spec_text
    from personas.spec import persona_spec_json_schema
    from tests.personas.builders import max_spec

    stored = dict(sorted(max_spec().items()))  # anti_examples first, as a sorted or jsonb order has it
    text = editor_text(stored)
    assert list(json.loads(text)) == [key for key in persona_spec_json_schema()["properties"]
                                      if key in stored and key != "version"]
    assert parse_spec_text(text) == {key: value for key, value in stored.items() if key != "version"}


def test_one_forms_editor_problems_never_reach_the_next_form():
    """Django copies a field's widget per form but shares its other attributes: the problems list must not."""
    from personas.forms import PersonaSpecAddForm

    refused = PersonaSpecAddForm(data={"spec_text": '{"a": ' * 65 + "1" + "}" * 65})
    assert not refused.is_valid()
    assert refused.fields["spec_text"].widget.problems[0]["path"].startswith("/a/a/a")
    assert PersonaSpecAddForm().fields["spec_text"].widget.problems == []
