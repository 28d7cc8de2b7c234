from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from core.errors import NotFound
from twins.models import Memory, Twin
from twins.permissions import can_view_twin


def twin_list_for_user(user) -> QuerySet[Twin]:
    """Twins the user may see: their own, or all of the tenant's with `twins.view_twin`."""
    twins = Twin.objects.select_related("owner")
    if user.has_perm("twins.view_twin"):
        return twins
    return twins.filter(owner=user)


def twin_get_for_user(user, twin_id) -> Twin:
    """The twin, or NotFound when it does not exist *or* the user may not see it (no existence leak).

    Looked up by key first, so the owner (the common case) costs no permission queries.
    """
    try:
        twin = Twin.objects.select_related("owner").get(pk=twin_id)
    except (Twin.DoesNotExist, ValueError, ValidationError):
        raise NotFound("Twin not found.") from None
    if not can_view_twin(user, twin):
        raise NotFound("Twin not found.")
    return twin


def memory_list_for_twin(twin: Twin) -> QuerySet[Memory]:
    return Memory.objects.filter(twin=twin)
