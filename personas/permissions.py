"""May this user do X to this twin's persona specs? One answer for every channel.

The API, the admin (its buttons, its actions and the views behind them), management commands and
the lifecycle transitions all ask here, so a rule cannot differ between channels. The rule: a twin's
owner may view, draft and publish on that twin; anyone else needs the model permission of the action.
Approving a version and overriding the publish gate are roles of their own: they need the permission
whoever owns the twin (an approval is a second pair of eyes, an override is accountable).
"""

from __future__ import annotations

from enum import StrEnum

from core.errors import PermissionDenied


class SpecAction(StrEnum):
    VIEW = "view"
    ADD = "add"
    PUBLISH = "publish"
    APPROVE = "approve"
    OVERRIDE_GATE = "override_gate"


# The Django permission that grants each action on every twin of the tenant.
PERMISSIONS = {
    SpecAction.VIEW: "personas.view_personaspec",
    SpecAction.ADD: "personas.add_personaspec",
    SpecAction.PUBLISH: "personas.publish_personaspec",
    SpecAction.APPROVE: "personas.approve_personaspec",
    SpecAction.OVERRIDE_GATE: "personas.override_publish_gate",
}
# Actions the owner of a twin may do on it without the permission.
OWNER_MAY = frozenset({SpecAction.VIEW, SpecAction.ADD, SpecAction.PUBLISH})

REFUSALS = {
    SpecAction.VIEW: "You may not view this twin's persona specs.",
    SpecAction.ADD: "You may not add persona specs to this twin.",
    SpecAction.PUBLISH: "You may not publish or roll back persona specs of this twin.",
    SpecAction.APPROVE: "You may not approve persona spec versions: that needs the approve permission.",
    SpecAction.OVERRIDE_GATE: "You may not override the publish gate: that needs the override permission.",
}


def may(user, action: SpecAction, twin) -> bool:
    """Whether `user` may do `action` to the specs of `twin`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return (action in OWNER_MAY and twin.owner_id == user.pk) or user.has_perm(PERMISSIONS[action])


def require(user, action: SpecAction, twin) -> None:
    """`may`, or PermissionDenied with a message fit to show on any channel."""
    if not may(user, action, twin):
        raise PermissionDenied(REFUSALS[action])


def may_on_some_twin(user, action: SpecAction) -> bool:
    """Whether `user` may do `action` to at least one twin: decides whether the admin offers it at all
    (the per-twin answer is `may`, asked again when the action runs)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(PERMISSIONS[action]) or (action in OWNER_MAY and user.twins.exists())


def may_see_specs_of(user, twin) -> bool:
    """Whether the twin exists for `user` on the spec endpoints: it is theirs, they may view twins, or
    they hold any persona spec permission. Otherwise the twin is a 404, never a 403 (no existence leak)."""
    if twin.owner_id == user.pk or user.has_perm("twins.view_twin"):
        return True
    return any(user.has_perm(PERMISSIONS[action]) for action in (SpecAction.VIEW, SpecAction.ADD, SpecAction.PUBLISH))


def users_who_may(action: SpecAction, twin) -> list[str]:
    """Usernames of the active users who may do `action` to `twin`: told to a user who may not, so they
    know whom to ask. The owner first (where the owner rule applies), then superusers and holders of the
    permission, directly or through a group."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    app_label, codename = PERMISSIONS[action].split(".")
    granted = Q(is_superuser=True) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app_label
    ) | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
    owner = twin.owner
    owner_first = owner.is_active and action in OWNER_MAY
    holders = get_user_model().objects.filter(granted, is_active=True)
    if owner_first:
        holders = holders.exclude(pk=owner.pk)
    names = list(holders.values_list("username", flat=True).distinct().order_by("username"))
    return ([owner.username] if owner_first else []) + names
