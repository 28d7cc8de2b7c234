"""Helpers shared by the persona admin tests (the spec pages and the twin page): URLs, permission
sets, a logged-in client on a tenant host, and what a test checks afterwards (statuses, audit rows).

Their fixtures (`owner`, `twin`, `publisher`, `reviewer`, `active_and_draft`) are in conftest.py.
"""

from __future__ import annotations

import re

from django.test import Client
from django_tenants.utils import schema_context

from personas.models import AuditEvent, PersonaSpec

CHANGELIST = "/admin/personas/personaspec/"
ADD = "/admin/personas/personaspec/add/"
AUDIT_CHANGELIST = "/admin/personas/auditevent/"

VIEWER_PERMS = ["personas.view_personaspec", "personas.view_auditevent", "twins.view_twin", "twins.view_memory"]
REVIEWER_PERMS = [*VIEWER_PERMS, "personas.add_personaspec"]
PUBLISHER_PERMS = [*REVIEWER_PERMS, "personas.publish_personaspec"]


def admin_client(tenant, user) -> Client:
    """A client on the tenant's host, logged in there (the session lives in the tenant's schema)."""
    client = Client(HTTP_HOST=f"{tenant.schema_name}.localhost")
    with schema_context(tenant.schema_name):
        client.force_login(user)
    return client


def review_url(persona_spec) -> str:
    return f"{CHANGELIST}{persona_spec.pk}/review/"


def statuses(twin) -> dict[str, str]:
    with schema_context("acme"):
        return dict(PersonaSpec.objects.filter(twin=twin).values_list("version", "status"))


def audit_rows(twin) -> list[tuple]:
    with schema_context("acme"):
        return list(AuditEvent.objects.filter(twin=twin).order_by("id").values_list(
            "action", "channel", "version", "previous_version", "actor_username"))


def text(response) -> str:
    return response.content.decode()


def run_action(client, action: str, *persona_specs, follow: bool = False, **extra):
    """Choose `action` in the list's menu for the selected versions and press "Go" (index 0); the
    confirmation page's own form posts without an index."""
    data = {"action": action, "_selected_action": [str(spec.pk) for spec in persona_specs], **extra}
    if "confirm" not in extra:
        data.setdefault("index", "0")
    return client.post(CHANGELIST, data, follow=follow)


def confirm_action(client, action: str, persona_spec, confirmation_page):
    """Press the confirmation page's button: post back exactly what its form holds."""
    html = confirmation_page.content.decode()
    state = re.search(r'name="confirmation_state" value="([^"]+)"', html)
    back_to = re.search(r'name="next" value="([^"]+)"', html)
    extra = {"confirm": "yes", **({"confirmation_state": state.group(1)} if state else {}),
             **({"next": back_to.group(1)} if back_to else {})}
    return run_action(client, action, persona_spec, follow=True, **extra)
