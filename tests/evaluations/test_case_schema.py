"""The evaluation case document: strict, every problem at once with its JSON Pointer. No database."""

from __future__ import annotations

import json

import pytest

from evaluations.case_schema import CaseInvalid, parse_case, parse_jsonl

GOOD = {"name": "pilot", "message": "Should we offer a free pilot?", "expected_intent": "advice_or_stance",
        "expect": {"must_include_any": ["pilot"], "max_words": 180, "structure": "paragraph"}, "tags": ["pricing"]}


def test_a_good_case_keeps_its_types_and_leaves_out_empty_expectations():
    stored = parse_case(GOOD).as_stored()
    assert stored == {"name": "pilot", "message": "Should we offer a free pilot?", "interaction_context": None,
                      "expected_intent": "advice_or_stance", "tags": ["pricing"], "active": True,
                      "expect": {"must_include_any": ["pilot"], "max_words": 180, "structure": "paragraph"}}


def test_every_problem_is_reported_with_its_path():
    with pytest.raises(CaseInvalid) as excinfo:
        parse_case({"name": "", "message": 5, "expected_intent": "nope", "tags": "x",
                    "expect": {"min_words": "3", "structure": "poem", "shout": True}, "extra": 1})
    paths = [error["path"] for error in excinfo.value.errors]
    assert paths == ["/name", "/message", "/expected_intent", "/expect/min_words", "/expect/structure",
                     "/expect/shout", "/tags", "/extra"]


def test_the_word_band_must_make_sense_and_types_are_strict():
    with pytest.raises(CaseInvalid) as excinfo:
        parse_case({**GOOD, "expect": {"min_words": 50, "max_words": 10}})
    assert excinfo.value.errors == [{"path": "/expect", "message": "min_words is more than max_words"}]
    with pytest.raises(CaseInvalid):
        parse_case({**GOOD, "active": "yes"})
    with pytest.raises(CaseInvalid):
        parse_case([GOOD])


def test_json_lines_report_every_line_and_duplicate_names():
    lines = [json.dumps(GOOD), "", "{not json", json.dumps({**GOOD, "message": ""}), json.dumps(GOOD)]
    with pytest.raises(CaseInvalid) as excinfo:
        parse_jsonl("\n".join(lines))
    assert [error["path"] for error in excinfo.value.errors] == ["/2", "/3/message", "/4/name"]
    assert "also on line 1" in excinfo.value.errors[-1]["message"]
    assert [case.name for case in parse_jsonl(json.dumps(GOOD) + "\n\n")] == ["pilot"]
