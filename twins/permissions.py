"""Who may do what to a twin: its owner everything, anyone else only what model permissions grant."""

from __future__ import annotations


def can_view_twin(user, twin) -> bool:
    return twin.owner_id == user.pk or user.has_perm("twins.view_twin")


def can_change_twin(user, twin) -> bool:
    return twin.owner_id == user.pk or user.has_perm("twins.change_twin")


def can_add_memory(user, twin) -> bool:
    return twin.owner_id == user.pk or user.has_perm("twins.add_memory")
