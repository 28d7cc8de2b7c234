"""The audit trail in the admin: readable, filterable, never changed.

Shared helpers are in admin_support.py, the fixtures (owner, twin, publisher, reviewer,
active_and_draft) in conftest.py.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from personas.models import AuditEvent
from tests.factories import demo_admin
from tests.personas.admin_support import (
    AUDIT_CHANGELIST,
    CHANGELIST,
    admin_client,
    confirm_action,
    review_url,
    run_action,
    text,
)

# --- the audit trail --------------------------------------------------------------------------------

def test_audit_list_shows_the_trail_with_its_filters(in_acme, active_and_draft, publisher):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    confirm_action(client, "publish_selected", draft, run_action(client, "publish_selected", draft))
    response = client.get(AUDIT_CHANGELIST, {"twin__id__exact": draft.twin_id})
    html = text(response)
    assert response.status_code == 200
    for parameter in ("twin__id__exact", "action__exact", "actor__id__exact", "channel__exact"):
        assert parameter in html
    rows = list(response.context["cl"].result_list)
    assert [(e.action, e.channel, e.version, e.previous_version) for e in rows][0] == (
        "publish", "admin", "1.0.1", "1.0.0")
    assert ">admin-publisher<" in html and f'href="{review_url(draft)}"' in html
    admin_only = client.get(AUDIT_CHANGELIST, {"twin__id__exact": draft.twin_id, "channel__exact": "admin"})
    assert [e.channel for e in admin_only.context["cl"].result_list] == ["admin"]


def test_audit_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(in_acme, active_and_draft):
    active, _ = active_and_draft
    client = admin_client(in_acme, demo_admin(in_acme))
    with schema_context("acme"):
        event = AuditEvent.objects.filter(twin=active.twin).first()
    change_url = f"{AUDIT_CHANGELIST}{event.pk}/change/"
    view = client.get(change_url)
    assert view.status_code == 200
    assert 'name="_save"' not in text(view) and "View audit event" in text(view)
    assert client.post(change_url, {"action": "rollback", "version": "9.9.9"}).status_code == 403
    assert client.get(f"{AUDIT_CHANGELIST}{event.pk}/delete/").status_code == 403
    assert client.post(f"{AUDIT_CHANGELIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{AUDIT_CHANGELIST}add/").status_code == 403
    changelist = text(client.get(AUDIT_CHANGELIST))
    assert "delete_selected" not in changelist
    forged = client.post(AUDIT_CHANGELIST, {"action": "delete_selected", "_selected_action": [event.pk],
                                            "post": "yes"}, follow=True)
    assert forged.status_code == 200
    with schema_context("acme"):
        stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.version) == (event.action, event.version)


@pytest.mark.parametrize("schema", ["acme", "globex"])
def test_demo_staff_publisher_may_publish_and_reviewer_may_not(acme, globex, schema):
    tenant = {"acme": acme, "globex": globex}[schema]
    from django.contrib.auth import get_user_model

    with schema_context(schema):  # permissions are looked up in the tenant's schema
        users = {user.username: user for user in get_user_model().objects.filter(username__in=["publisher",
                                                                                               "reviewer"])}
        assert users["publisher"].is_staff and users["reviewer"].is_staff
        assert not users["publisher"].is_superuser and not users["reviewer"].is_superuser
        assert users["publisher"].groups.filter(name="Persona governance").exists()
        assert users["publisher"].has_perm("personas.publish_personaspec")
        assert not users["reviewer"].has_perm("personas.publish_personaspec")
        assert users["reviewer"].has_perm("personas.add_personaspec")
    for username in ("publisher", "reviewer"):  # both can sign in to the tenant's admin and open the list
        assert admin_client(tenant, users[username]).get(CHANGELIST).status_code == 200


def test_an_audit_event_page_prints_its_time_compactly(in_acme, active_and_draft, publisher):
    from django.utils.timezone import localtime

    active, _ = active_and_draft
    with schema_context("acme"):
        event = AuditEvent.objects.filter(twin=active.twin).first()
    html = text(admin_client(in_acme, publisher).get(f"{AUDIT_CHANGELIST}{event.pk}/change/"))
    expected = localtime(event.created_at).strftime("%Y-%m-%d %H:%M")
    assert f'<div class="readonly">{expected}</div>' in html
    assert "a.m." not in html and "p.m." not in html
