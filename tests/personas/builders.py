"""Spec and twin builders for the persona tests."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "personas" / "fixtures"


@cache
def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def example_spec(**changes) -> dict:
    spec = copy.deepcopy(_load("persona_spec_example.json"))
    spec.update(changes)
    return spec


def max_spec() -> dict:
    return copy.deepcopy(_load("persona_spec_max.json"))


def new_twin(owner, name: str = "Twin under test", **settings):
    from twins.services import twin_create

    return twin_create(owner=owner, name=name, settings=settings)
