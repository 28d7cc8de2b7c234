"""Every write to twins and memories."""

from __future__ import annotations

from django.db import transaction

from core.errors import PermissionDenied, ValidationFailed
from twins.models import Memory, Twin
from twins.permissions import can_add_memory, can_change_twin

TWIN_EDITABLE_FIELDS = ("name", "settings", "status")


@transaction.atomic
def twin_create(*, owner, name: str, settings: dict | None = None, status: str = Twin.Status.ACTIVE) -> Twin:
    twin = Twin(owner=owner, name=name, settings=settings or {}, status=status)
    twin.full_clean()
    twin.save()
    return twin


@transaction.atomic
def twin_update(*, twin: Twin, actor, **changes) -> Twin:
    if not can_change_twin(actor, twin):
        raise PermissionDenied("You may not change this twin.")
    unknown = sorted(set(changes) - set(TWIN_EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"Only {', '.join(TWIN_EDITABLE_FIELDS)} can be changed.",
            errors=[{"path": f"/{field}", "message": "not editable"} for field in unknown],
        )
    for field, value in changes.items():
        setattr(twin, field, value)
    twin.full_clean()
    twin.save(update_fields=[*changes, "updated_at"])
    return twin


@transaction.atomic
def memory_create(*, twin: Twin, actor, topic: str, value: str, stance: str = "", intensity: int = 5,
                  status: str = Memory.Status.PENDING) -> Memory:
    if not can_add_memory(actor, twin):
        raise PermissionDenied("You may not add memories to this twin.")
    memory = Memory(twin=twin, topic=topic, value=value, stance=stance, intensity=intensity, status=status)
    memory.full_clean()
    memory.save()
    return memory
