"""Who may act on a twin's persona specs: its owner everything, others what model permissions grant."""

from __future__ import annotations


def can_view_specs(user, twin) -> bool:
    return twin.owner_id == user.pk or user.has_perm("personas.view_personaspec")


def can_add_spec(user, twin) -> bool:
    return twin.owner_id == user.pk or user.has_perm("personas.add_personaspec")


def can_publish_spec(user, twin) -> bool:
    return twin.owner_id == user.pk or user.has_perm("personas.publish_personaspec")
