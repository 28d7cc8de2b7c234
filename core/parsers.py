"""The API's JSON parser: the input limits (core.input_limits) are checked before and after parsing."""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.errors import ValidationFailed
from core.input_limits import json_depth_problem, json_value_problems, parse_json


class LimitedJSONParser(JSONParser):
    """JSON bodies within the input limits, or 400 naming the path of each problem.

    Nesting is counted on the raw text first: parsing a deeply nested body would itself recurse.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        if not raw:
            raise ParseError("JSON parse error - Expecting value: line 1 column 1 (char 0)")
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        problem = json_depth_problem(text)
        if problem:
            raise ValidationFailed("The JSON body exceeds the input limits.", errors=[problem])
        try:
            data = parse_json(text)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        problems = json_value_problems(data)
        if problems:
            raise ValidationFailed("The JSON body exceeds the input limits.", errors=problems)
        return data
