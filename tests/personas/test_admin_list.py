"""The version list in the tenant admin: order, badges, filters and search, the actions offered.

Shared helpers are in admin_support.py, the fixtures (owner, twin, publisher, reviewer,
active_and_draft) in conftest.py.
"""

from __future__ import annotations

import re

from personas.services import persona_spec_create
from tests.personas.admin_support import (
    CHANGELIST,
    admin_client,
    text,
)
from tests.personas.builders import example_spec

# --- the list -----------------------------------------------------------------------------------

def test_list_shows_versions_newest_semver_first_with_status_badges(in_acme, twin, owner, publisher):
    for version in ("1.0.9", "1.0.10", "1.0.2"):
        persona_spec_create(twin=twin, actor=owner, spec=example_spec(), version=version)
    response = admin_client(in_acme, publisher).get(CHANGELIST, {"twin__id__exact": twin.pk})
    assert response.status_code == 200
    html = text(response)
    positions = [html.index(f">{version}</a>") for version in ("1.0.10", "1.0.9", "1.0.2")]
    assert positions == sorted(positions)  # numeric, not textual: 1.0.10 first
    assert 'class="persona-status persona-status-draft"' in html
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', html)
    assert headers == ["twin", "version_link", "status_badge", "source", "created_by", "created", "published_by",
                       "published"]


def test_list_filters_and_search(in_acme, active_and_draft, publisher):
    client = admin_client(in_acme, publisher)
    html = text(client.get(CHANGELIST))
    for parameter in ("twin__id__exact", "status__exact", "source__exact"):
        assert parameter in html
    active, draft = active_and_draft
    drafts_only = text(client.get(CHANGELIST, {"status__exact": "draft", "twin__id__exact": active.twin_id}))
    assert ">1.0.1</a>" in drafts_only and ">1.0.0</a>" not in drafts_only
    found = text(client.get(CHANGELIST, {"q": "Twin in admin"}))
    assert ">1.0.1</a>" in found and ">1.0.0</a>" in found


def test_publisher_sees_every_action_and_reviewer_only_duplicate(in_acme, active_and_draft, publisher, reviewer):
    publisher_html = text(admin_client(in_acme, publisher).get(CHANGELIST))
    reviewer_html = text(admin_client(in_acme, reviewer).get(CHANGELIST))
    for action in ("publish_selected", "rollback_selected", "duplicate_selected"):
        assert f'value="{action}"' in publisher_html
    assert 'value="publish_selected"' not in reviewer_html
    assert 'value="rollback_selected"' not in reviewer_html
    assert 'value="duplicate_selected"' in reviewer_html
    assert 'value="delete_selected"' not in publisher_html
