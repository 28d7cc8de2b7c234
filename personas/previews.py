"""The `prompt_plan_preview` shown after a create or generate: what the compiler makes of a version."""

from __future__ import annotations

from personas.compiler import compile_plan, render


def prompt_plan_preview(spec: dict, intent_label: str | None = None, user_query: str | None = None) -> dict:
    plan = compile_plan(spec, intent_label=intent_label, user_query=user_query)
    return {**plan.as_dict(), "rendered": render(plan)}
