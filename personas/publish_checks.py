"""Pluggable publish checks: rules other apps add to every publish, rollback and re-publish.

An app registers a check once (in its `AppConfig.ready()`); the lifecycle transitions run every
registered check, on every channel, both when asked whether a publish may happen (`check()`, for
the admin's buttons) and under the twin's row lock when it happens (`execute()`). So a rule such as
"needs an approval" or "needs a passing evaluation" is added without any change to `personas`.

A check returns the reasons the candidate may not go live (nothing when it may). A block marked
`overridable` can be waived by the caller's override, if the transition allows one; the others
cannot be waived by anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_REASON_LENGTH = 2000


@dataclass(frozen=True)
class PublishCandidate:
    """What a publish check gets: the version that would go live and the state around it."""

    persona_spec: Any  # PersonaSpec
    active: Any | None  # the twin's active PersonaSpec, or None
    actor: Any
    channel: str
    action: str  # the audit action it would be: "publish", "republish" or "rollback"
    options: dict = field(default_factory=dict)  # channel options a check may read (an override, say)
    # Reads several checks need (the twin's publish policy), made once per candidate.
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key, compute):
        """`compute()` the first time `key` is asked for on this candidate, the same value afterwards."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def twin(self):
        return self.persona_spec.twin


@dataclass(frozen=True)
class PublishBlock:
    """One reason the candidate may not go live."""

    check: str  # the registered check's name
    message: str  # a sentence fit to show on every channel
    overridable: bool = False
    details: dict = field(default_factory=dict)


PublishCheck = Callable[[PublishCandidate], Iterable[PublishBlock]]

_registry: dict[str, PublishCheck] = {}


def register_publish_check(name: str) -> Callable[[PublishCheck], PublishCheck]:
    """Decorator: `@register_publish_check("approvals")` adds the function to every publish.

    Registering a name again replaces the earlier check (module reloads, tests).
    """

    def register(check: PublishCheck) -> PublishCheck:
        _registry[name] = check
        return check

    return register


def unregister_publish_check(name: str) -> None:
    _registry.pop(name, None)


def registered_publish_checks() -> dict[str, PublishCheck]:
    return dict(_registry)


def publish_blocks(candidate: PublishCandidate) -> list[PublishBlock]:
    """Every block of every registered check, in registration order."""
    blocks: list[PublishBlock] = []
    for name, check in list(_registry.items()):
        for block in check(candidate) or ():
            blocks.append(block if block.check else PublishBlock(name, block.message, block.overridable,
                                                                  block.details))
    return blocks
