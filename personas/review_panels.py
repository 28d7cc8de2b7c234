"""Panels other apps add to a version's review page in the admin, without `personas` importing them.

The chat app shows how many replies a version produced; the governance app shows approvals and their
buttons; the evaluation app its runs. Each registers a panel once (in its `AppConfig.ready()`): a
template and a function giving its context for one version and request, or None to stay hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReviewPanel:
    name: str  # also the panel's HTML id: "panel-<name>"
    template: str
    context: Callable[[Any, Any], dict | None]  # (request, persona_spec) -> context or None
    order: int = 100  # lower comes first


@dataclass(frozen=True)
class ShownPanel:
    name: str
    template: str
    context: dict


_registry: dict[str, ReviewPanel] = {}


def register_review_panel(panel: ReviewPanel) -> ReviewPanel:
    _registry[panel.name] = panel
    return panel


def unregister_review_panel(name: str) -> None:
    _registry.pop(name, None)


def review_panels_for(request, persona_spec) -> list[ShownPanel]:
    shown = []
    for panel in sorted(_registry.values(), key=lambda panel: (panel.order, panel.name)):
        context = panel.context(request, persona_spec)
        if context is not None:
            shown.append(ShownPanel(panel.name, panel.template, context))
    return shown
