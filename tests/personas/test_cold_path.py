"""The cold path's rewrites (issue #13) against the straightforward code they replaced.

Each reference below is the earlier implementation, kept here verbatim in what it computes; the
rewrites must give equal results on any input, not only on the fixtures the digests cover.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from personas.prompt_text import list_lines, mapping_lines, module_block
from personas.spec import Module

_text = st.text(max_size=12) | st.sampled_from(["", "a\nb", "direct", "x" * 3])
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=12,
)
_mappings = st.dictionaries(_text, _json_values, max_size=5)


def _reference_scalar(value, pad: str) -> str:
    if isinstance(value, str):
        return value.replace("\n", f"\n{pad}  ")
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _reference_mapping_lines(mapping, depth: int = 0) -> list[str]:
    pad = "  " * depth
    lines = []
    for key in sorted(mapping):
        value = mapping[key]
        if isinstance(value, dict) and value:
            lines.append(f"{pad}- {key}:")
            lines.extend(_reference_mapping_lines(value, depth + 1))
        elif isinstance(value, list) and value:
            lines.append(f"{pad}- {key}:")
            lines.extend(_reference_list_lines(value, depth + 1))
        else:
            lines.append(f"{pad}- {key}: {_reference_scalar(value, pad)}")
    return lines


def _reference_list_lines(items, depth: int = 0) -> list[str]:
    pad = "  " * depth
    return [f"{pad}- {_reference_scalar(item, pad)}" for item in items]


def _reference_module_block(module: Module) -> str:
    lines = [f"### {module.id}"]
    for label, value in (("When", module.when), ("Do", module.do), ("Say style", module.say_style)):
        if value:
            lines.extend(_reference_mapping_lines({label: value}))
    return "\n".join(lines) if len(lines) > 1 else ""


@settings(max_examples=300, deadline=None)
@given(_mappings, st.integers(min_value=0, max_value=3))
def test_mapping_and_list_lines_equal_the_reference(mapping, depth):
    assert mapping_lines(mapping, depth) == _reference_mapping_lines(mapping, depth)
    items = list(mapping.values())
    assert list_lines(items, depth) == _reference_list_lines(items, depth)


@settings(max_examples=300, deadline=None)
@given(_mappings, st.lists(_json_values, max_size=4), _mappings)
def test_module_block_equals_the_reference(when, do, say_style):
    module = Module(id="m.1", when=when, do=do, say_style=say_style)
    assert module_block(module) == _reference_module_block(module)
