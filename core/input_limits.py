"""Input limits in one place: what any JSON the service accepts must respect, checked before use.

Every check here is iterative, never recursive, so a hostile body cannot exhaust the stack:
- `json_depth_problem` scans the raw text for nesting before anything parses it (`json.loads`
  recurses once per level and raises RecursionError near 1000 levels);
- `json_value_problems` walks a parsed value with an explicit stack.
Problems are `{"path": JSON Pointer, "message"}`, the shape of every API error (core.exceptions).

`iterative_json_dumps` renders a stored value that predates a limit without recursion, so such data
can never break a page.
"""

from __future__ import annotations

import json
import math
import re

# Deeper than any real twin setting or persona spec; far below Python's recursion limit (1000).
MAX_JSON_DEPTH = 64
# A string value or an object key; the request body itself is at most 1 MiB (MAX_REQUEST_BODY_BYTES).
MAX_STRING_LENGTH = 256 * 1024
MAX_KEY_LENGTH = 1000
# Integers a JavaScript client reads exactly (Number.MAX_SAFE_INTEGER + 1).
MAX_ABS_INTEGER = 2**53
# PostgreSQL's jsonb and text columns refuse U+0000.
FORBIDDEN_CHARACTER = "\x00"
# At most this many problems are reported for one value: the first ones are enough to fix it.
MAX_PROBLEMS = 20
# User input echoed in an error message is clipped to this many characters.
ECHO_LIMIT = 40

_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]', re.DOTALL)


def json_pointer(parts) -> str:
    """RFC 6901: ("a/b", 0) -> "/a~1b/0". Here, not in core.exceptions, so this module imports nothing."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def clip(value: object, limit: int = ECHO_LIMIT) -> str:
    """`value` as text, at most `limit` characters: "1111…" rather than 5,000 echoed digits."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _frame_part(frame: list) -> object:
    return frame[1]


def json_depth_problem(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> dict | None:
    """The first place where `raw` JSON nests deeper than `max_depth`, or None.

    Counts brackets outside strings without parsing; the path names the container that is too deep.
    Malformed text is left for the parser to refuse.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    stack: list[list] = []  # ["[", index] or ["{", key]
    last_string = b""
    for match in _TOKEN.finditer(raw):
        token = match.group()
        first = token[:1]
        if first == b'"':
            last_string = token
        elif first == b":":
            if stack and stack[-1][0] == "{":
                try:
                    stack[-1][1] = json.loads(last_string)
                except ValueError:
                    stack[-1][1] = last_string.decode("utf-8", "replace")[1:-1]
        elif first == b",":
            if stack and stack[-1][0] == "[":
                stack[-1][1] += 1
        elif first in (b"[", b"{"):
            if len(stack) >= max_depth:
                return {
                    "path": json_pointer(_frame_part(frame) for frame in stack),
                    "message": f"nested too deeply: at most {max_depth} levels of arrays and objects",
                }
            stack.append(["[", 0] if first == b"[" else ["{", ""])
        elif stack:  # a closing bracket
            stack.pop()
    return None


def _string_problem(text: str, limit: int, what: str) -> str | None:
    if FORBIDDEN_CHARACTER in text:
        return f"{what} must not contain the NUL character (\\u0000)"
    if len(text) > limit:
        return f"{what} must be at most {limit} characters"
    return None


def json_value_problems(value: object, max_depth: int = MAX_JSON_DEPTH) -> list[dict]:
    """Every limit `value` (parsed JSON) breaks, as `{path, message}`; [] when it respects them all."""
    problems: list[dict] = []
    pending: list[tuple[object, tuple, int]] = [(value, (), 0)]
    while pending and len(problems) < MAX_PROBLEMS:
        item, path, depth = pending.pop()
        if isinstance(item, (dict, list)) and depth >= max_depth:
            problems.append({"path": json_pointer(path),
                             "message": f"nested too deeply: at most {max_depth} levels of arrays and objects"})
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                key_problem = _string_problem(str(key), MAX_KEY_LENGTH, "a key")
                if key_problem:
                    problems.append({"path": json_pointer(path + (key,)), "message": key_problem})
                pending.append((child, path + (key,), depth + 1))
        elif isinstance(item, list):
            for index in range(len(item) - 1, -1, -1):
                pending.append((item[index], path + (index,), depth + 1))
        elif isinstance(item, str):
            text_problem = _string_problem(item, MAX_STRING_LENGTH, "a string")
            if text_problem:
                problems.append({"path": json_pointer(path), "message": text_problem})
        elif isinstance(item, bool) or item is None:
            pass
        elif isinstance(item, int):
            if abs(item) > MAX_ABS_INTEGER:
                problems.append({"path": json_pointer(path),
                                 "message": f"a number must be between -{MAX_ABS_INTEGER} and {MAX_ABS_INTEGER}"})
        elif isinstance(item, float):
            if not math.isfinite(item) or abs(item) > MAX_ABS_INTEGER:
                problems.append({"path": json_pointer(path),
                                 "message": f"a number must be finite and between -{MAX_ABS_INTEGER} and "
                                            f"{MAX_ABS_INTEGER}"})
    return problems[:MAX_PROBLEMS]


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes | str) -> object:
    """`raw` parsed, or ValueError; nesting is checked first. Refuses NaN and Infinity (not JSON)."""
    return json.loads(raw, parse_constant=_refuse_constant)


def iterative_json_dumps(value: object, indent: int | None = 2) -> str:
    """`json.dumps(value, indent=indent, ensure_ascii=False)` without recursion, for any depth."""
    out: list[str] = []
    # Each entry is either text to emit or a (value, level) to render.
    pending: list[object] = [(value, 0)]

    def newline(level: int) -> str:
        return "" if indent is None else "\n" + " " * (indent * level)

    item_separator = "," if indent is not None else ", "
    while pending:
        entry = pending.pop()
        if isinstance(entry, str):
            out.append(entry)
            continue
        item, level = entry
        if isinstance(item, dict) and item:
            parts: list[object] = ["{"]
            for position, (key, child) in enumerate(item.items()):
                if position:
                    parts.append(item_separator)
                parts.append(newline(level + 1) + json.dumps(str(key), ensure_ascii=False) + ": ")
                parts.append((child, level + 1))
            parts.append(newline(level) + "}")
            pending.extend(reversed(parts))
        elif isinstance(item, list) and item:
            parts = ["["]
            for position, child in enumerate(item):
                if position:
                    parts.append(item_separator)
                parts.append(newline(level + 1))
                parts.append((child, level + 1))
            parts.append(newline(level) + "]")
            pending.extend(reversed(parts))
        else:
            out.append(json.dumps(item, ensure_ascii=False))
    return "".join(out)


# --- stored JSON that predates the limits ---------------------------------------------------------

# Deeper stored values are not parsed on read: json.loads would recurse past Python's limit.
MAX_STORED_JSON_DEPTH = 256


class StoredJSONTooDeep(dict):
    """Stands in (as an empty object) for a stored value nested deeper than MAX_STORED_JSON_DEPTH.

    Keeps the stored text, so `SafeJSONEncoder` writes it back unchanged and a form shows it as is:
    reading a row never fails, and saving it never loses what was there.
    """

    def __init__(self, raw: str):
        super().__init__()
        self.raw = raw

    def __repr__(self) -> str:
        return f"<stored JSON nested deeper than {MAX_STORED_JSON_DEPTH} levels, {len(self.raw)} characters>"


class SafeJSONDecoder(json.JSONDecoder):
    """For a JSONField's `decoder`: never raises RecursionError on a stored value."""

    def decode(self, s, *args, **kwargs):
        if json_depth_problem(s, max_depth=MAX_STORED_JSON_DEPTH) is not None:
            return StoredJSONTooDeep(s)
        return super().decode(s, *args, **kwargs)


class SafeJSONEncoder(json.JSONEncoder):
    """For a JSONField's `encoder`: a `StoredJSONTooDeep` is written back as it was read."""

    def encode(self, o):
        if isinstance(o, StoredJSONTooDeep):
            return o.raw
        return super().encode(o)
