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
    assert headers == ["twin", "version_link", "status_badge", "source", "created", "published"]
    assert re.search(r'<span class="persona-moment">\d{4}-\d\d-\d\d \d\d:\d\d</span><br><span class="persona-by">by ', html)


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


# --- breadcrumbs and empty lists ----------------------------------------------------------------

def breadcrumbs(html: str) -> str:
    trail = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", trail).replace("&rsaquo;", "›").split())


def test_breadcrumbs_name_the_app_and_the_model_differently(in_acme, active_and_draft, publisher):
    from tests.personas.admin_support import review_url

    client = admin_client(in_acme, publisher)
    assert breadcrumbs(text(client.get(CHANGELIST))) == "Home › Persona governance › Persona specs"
    active, _ = active_and_draft
    assert breadcrumbs(text(client.get(review_url(active)))).startswith("Home › Persona governance › Persona specs ›")


def test_empty_list_says_no_versions_yet_and_how_to_make_one(globex):
    # Globex's demo twin is on its legacy persona: the tenant has no version at all.
    from tests.factories import make_user
    from tests.personas.admin_support import PUBLISHER_PERMS

    user = make_user(globex, "globex-publisher", perms=PUBLISHER_PERMS, staff=True)
    html = text(admin_client(globex, user).get(CHANGELIST))
    assert 'id="no-versions"' in html and "No versions yet." in html
    assert "Generate draft from twin data" in html and 'href="/admin/personas/personaspec/add/"' in html
    assert 'id="result_list"' not in html


def test_a_search_without_results_says_so(in_acme, active_and_draft, publisher):
    html = text(admin_client(in_acme, publisher).get(CHANGELIST, {"q": "no twin is called this"}))
    assert "No version matches this search or these filters." in html and 'id="result_list"' not in html


def test_a_non_empty_list_shows_its_table_without_the_message(in_acme, active_and_draft, publisher):
    html = text(admin_client(in_acme, publisher).get(CHANGELIST))
    assert 'id="result_list"' in html and 'id="no-versions"' not in html


def test_filtering_by_a_twin_without_versions_shows_none_of_the_others(in_acme, active_and_draft, owner, publisher):
    from tests.personas.builders import new_twin

    empty = new_twin(owner, "Twin without versions")
    html = text(admin_client(in_acme, publisher).get(CHANGELIST, {"twin__id__exact": empty.pk}))
    assert ">1.0.0</a>" not in html and ">1.0.1</a>" not in html
    assert "No version matches this search or these filters." in html
