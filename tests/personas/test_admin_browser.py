"""The governance workflow clicked through in a real browser (Debian's chromium) against a real server.

Rows are committed (`committed_db`), so each test creates its own twin with a unique name. Audit
events are append-only by design (a database trigger), so those rows stay in the test database,
which is dropped at the end of the session.
"""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from personas.models import AuditEvent, PersonaSpec
from personas.services import persona_spec_create
from tests.personas import browser_support
from tests.personas.admin_support import statuses
from tests.personas.browser_support import fresh_twin, log_in, twin_with_version
from tests.personas.builders import example_spec
from tests.personas.editor_support import replace_editor_text, wait_for_editor

pytestmark = pytest.mark.browser

# The shared fixtures, bound here by name (imported, linters would read them as unused).
base_url, owner = browser_support.base_url, browser_support.owner


@pytest.fixture
def twin_with_active_version(owner):
    """A fresh twin of acme with 1.0.0 published (by its owner, the demo admin)."""
    return twin_with_version(owner, example_spec(), name="Browser twin", notes="First published version.").twin


def test_publisher_drafts_from_active_reviews_publishes_and_rolls_back(page, base_url, twin_with_active_version,
                                                                      screenshot):
    twin = twin_with_active_version
    log_in(page, base_url, "publisher")

    # The twin's page: its active version, and a way to start a new draft from it.
    page.goto(f"{base_url}/admin/twins/twin/{twin.pk}/change/")
    page.click("text=New draft from active version")
    wait_for_editor(page)
    assert "The editor starts from" in page.inner_text(".persona-start")
    spec = json.loads(page.input_value("#id_spec_text"))
    assert "version" not in spec
    spec["constitution"].append("Name the one number that would change your mind.")

    # A mistake first: the errors come back on the form, with their JSON Pointer paths.
    broken = json.loads(json.dumps(spec))
    broken["procedural_modules"][0]["few_shot_ids"] = ["ex.missing"]
    replace_editor_text(page, json.dumps(broken, indent=2))
    page.fill("#id_notes", "Adds a falsifiability rule.")
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    assert "/procedural_modules/0/few_shot_ids/0: unknown canonical example id 'ex.missing'" in page.inner_text(
        ".field-spec_text .errorlist")
    assert statuses(twin) == {"1.0.0": "active"}
    screenshot(page, "admin-add-errors")

    wait_for_editor(page)
    replace_editor_text(page, json.dumps(spec))
    page.click("button:has-text('Format JSON')")
    assert page.inner_text(".spec-editor-status") == "Formatted: keys in the schema's order."
    screenshot(page, "admin-add-from-active")
    page.click("input[name=_save]")

    # Saved as a draft, and the browser lands on its review page with the diff.
    page.wait_for_selector("#spec-diff")
    assert statuses(twin) == {"1.0.0": "active", "1.0.1": "draft"}
    assert "Draft version 1.0.1" in page.inner_text(".messagelist")
    assert "Name the one number that would change your mind." in " ".join(page.locator("#spec-diff td.diff-add").all_inner_texts())
    assert "Name the one number that would change your mind." in " ".join(page.locator("#prompt-diff td.diff-add").all_inner_texts())
    page.select_option("#id_intent", "advice_or_stance")
    page.click("input[value='Update preview']")
    page.wait_for_selector("#selected-modules")
    assert "procedural.decision.clarify_before_advice" in page.inner_text("#selected-modules")
    screenshot(page, "admin-review")

    # Publish through the confirmation page.
    page.click("input[value='Publish this version…']")
    page.wait_for_selector(".persona-confirmation")
    assert "1.0.1" in page.inner_text("#goes-active") and "1.0.0" in page.inner_text("#gets-archived")
    assert statuses(twin) == {"1.0.0": "active", "1.0.1": "draft"}  # nothing changed yet
    screenshot(page, "admin-publish-confirmation")
    page.click("input[value='Yes, publish it']")
    page.wait_for_selector(".messagelist .success")
    assert "Published version 1.0.1" in page.inner_text(".messagelist")
    assert statuses(twin) == {"1.0.0": "archived", "1.0.1": "active"}
    with schema_context("acme"):
        published = PersonaSpec.objects.get(twin=twin, version="1.0.1")
    assert page.url.endswith(f"/admin/personas/personaspec/{published.pk}/review/")  # back on the version

    # The twin's page shows the new active version, its history and the audit entry.
    page.goto(f"{base_url}/admin/twins/twin/{twin.pk}/change/")
    assert "1.0.1" in page.inner_text(".field-active_version")
    assert "review active version 1.0.1" in page.inner_text(".object-tools").lower()
    events = page.inner_text("#audit_events-group")
    assert "publisher" in events and "publish" in events.lower()
    screenshot(page, "admin-twin-page")

    # The audit trail, then roll back from the archived version's review page.
    page.goto(f"{base_url}/admin/personas/auditevent/?twin__id__exact={twin.pk}")
    first_row = page.inner_text("#result_list tbody tr:first-child")
    assert "publisher" in first_row and "1.0.1" in first_row and "Admin" in first_row
    screenshot(page, "admin-audit-trail")
    with schema_context("acme"):
        archived = PersonaSpec.objects.get(twin=twin, version="1.0.0")
    # This time through the list's action menu, as most admin users would.
    page.goto(f"{base_url}/admin/personas/personaspec/?twin__id__exact={twin.pk}")
    page.check(f"input[name=_selected_action][value='{archived.pk}']")
    page.select_option("select[name=action]", "rollback_selected")
    page.click("button[name=index]")
    page.wait_for_selector(".persona-confirmation")
    assert "1.0.0" in page.inner_text("#goes-active") and "1.0.1" in page.inner_text("#gets-archived")
    page.click("input[value='Yes, roll back']")
    page.wait_for_selector(".messagelist .success")
    assert statuses(twin) == {"1.0.0": "active", "1.0.1": "archived"}
    with schema_context("acme"):
        trail = list(AuditEvent.objects.filter(twin=twin).order_by("id").values_list("action", "channel", "version"))
    assert trail[-3:] == [("create", "admin", "1.0.1"), ("publish", "admin", "1.0.1"), ("rollback", "admin", "1.0.0")]


def test_reviewer_without_publish_permission_cannot_publish(page, base_url, twin_with_active_version, screenshot):
    twin = twin_with_active_version
    with schema_context("acme"):
        owner = twin.owner
        draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec(constitution=["Be brief."]))
    log_in(page, base_url, "reviewer")
    page.goto(f"{base_url}/admin/personas/personaspec/{draft.pk}/review/")
    page.wait_for_selector("#spec-diff")
    assert page.locator("input[value='Publish this version…']").count() == 0
    screenshot(page, "admin-review-as-reviewer")
    page.goto(f"{base_url}/admin/personas/personaspec/?twin__id__exact={twin.pk}")
    actions = page.locator("select[name=action] option").all_inner_texts()
    assert "Duplicate as new draft" in actions
    assert "Publish selected version" not in actions and "Roll back to selected version" not in actions
    screenshot(page, "admin-list-as-reviewer")
    assert statuses(twin) == {"1.0.0": "active", "1.0.1": "draft"}


def test_full_prompt_preview_and_comparing_any_two_versions(page, base_url, twin_with_active_version, screenshot):
    """What a reviewer reads is what chat sends: the full prompt for a message and context, with its
    fingerprint; and any two versions compare structurally, from the picker and from the list."""
    from personas.prompting import preview_system_prompt

    twin = twin_with_active_version
    with schema_context("acme"):
        owner = twin.owner
        changed = example_spec()
        changed["procedural_modules"][0]["do"] = [*changed["procedural_modules"][0]["do"], "name_the_tradeoff"]
        second = persona_spec_create(twin=twin, actor=owner, spec=changed)
        third = persona_spec_create(twin=twin, actor=owner, spec=example_spec(constitution=["Be brief."]))
    log_in(page, base_url, "publisher")
    page.goto(f"{base_url}/admin/personas/personaspec/{second.pk}/review/")
    page.fill("#id_q", "Should we offer a free pilot?")
    page.select_option("#id_context", "public_share")
    page.click("input[value='Update preview']")
    page.wait_for_selector("#prompt-fingerprint")
    with schema_context("acme"):
        sent = preview_system_prompt(second, message="Should we offer a free pilot?", interaction_context="public_share")
    assert page.inner_text("#prompt-fingerprint") == sent.fingerprint
    assert page.inner_text("#rendered-prompt").startswith("You are ")
    assert "member of the public" in page.inner_text("#rendered-prompt")
    assert "name_the_tradeoff" in page.inner_text("#structural-changes")  # against the active 1.0.0
    screenshot(page, "admin-full-prompt-preview")

    page.select_option("#id_compare", "1.0.2")
    page.click("input[value='Update preview']")
    page.wait_for_selector("#suggested-bump")
    assert "Compared with version 1.0.2" in page.inner_text(".persona-notice")
    assert page.inner_text("#suggested-bump") == "major"  # 1.0.2 → 1.0.1 brings the constitution back
    screenshot(page, "admin-compare-two-versions")

    page.goto(f"{base_url}/admin/personas/personaspec/?twin__id__exact={twin.pk}")
    page.check(f"input[name=_selected_action][value='{second.pk}']")
    page.check(f"input[name=_selected_action][value='{third.pk}']")
    page.select_option("select[name=action]", "compare_selected")
    page.click("button[name=index]")
    page.wait_for_selector("#structural-changes")
    assert f"/admin/personas/personaspec/{third.pk}/review/?compare=1.0.1" in page.url


def test_demo_reviewer_sees_the_owner_as_text_and_a_403_in_the_admin_layout(page, base_url, committed_db,
                                                                           screenshot):
    from twins.models import Twin

    with schema_context("acme"):
        twin = Twin.objects.filter(owner__username="admin").first()
    log_in(page, base_url, "reviewer")
    page.goto(f"{base_url}/admin/twins/twin/{twin.pk}/change/")
    assert page.inner_text(".field-owner_name .readonly").startswith("admin")
    assert page.locator("fieldset.module").first.locator("a[href*='/admin/auth/user/']").count() == 0
    response = page.goto(f"{base_url}/admin/auth/user/{twin.owner_id}/change/")
    assert response.status == 403
    assert page.inner_text("#site-name") == "Persona governance"
    assert "You do not have permission" in page.inner_text("#access-denied")
    screenshot(page, "admin-403")
    favicon = page.goto(f"{base_url}/favicon.ico")
    assert favicon.status == 200 and "svg" in favicon.headers["content-type"]


def test_admin_pages_fit_1280_pixels_with_one_button_size_one_date_format_and_theme_captions(
        page, base_url, twin_with_active_version, screenshot):
    import re

    twin = twin_with_active_version
    log_in(page, base_url, "admin")
    # The admin index: captions in the theme's colour, not django-tenants' bright green.
    captions = page.eval_on_selector_all(".module caption", "cs => cs.map(c => getComputedStyle(c).backgroundColor)")
    assert captions and "rgb(0, 128, 0)" not in captions
    # The version list fits beside the navigation and the filters, "Published" included.
    page.goto(f"{base_url}/admin/personas/personaspec/?twin__id__exact={twin.pk}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    overflow = page.evaluate("(() => { const t = document.querySelector('#result_list');"
                             " const box = t.parentElement; return t.scrollWidth - box.clientWidth; })()")
    assert overflow <= 0
    published = page.locator("#result_list th.column-published")
    assert published.is_visible() and published.bounding_box()["x"] + published.bounding_box()["width"] <= 1280
    cell = page.locator("#result_list td.field-published").first.inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d\nby admin", cell), cell
    screenshot(page, "admin-version-list-1280")
    # The review page's toolbar: every control the same height, none wrapping its label.
    page.locator("#result_list a", has_text="1.0.0").click()
    page.wait_for_selector(".persona-toolbar")
    heights = page.eval_on_selector_all(
        ".persona-toolbar > form > input[type=submit], .persona-toolbar > a.button",
        "els => els.map(e => Math.round(e.getBoundingClientRect().height))")
    assert len(heights) >= 3 and len(set(heights)) == 1 and heights[0] <= 36, heights
    screenshot(page, "admin-review-toolbar")
    # The twin page prints its moments as the lists do.
    page.goto(f"{base_url}/admin/twins/twin/{twin.pk}/change/")
    created = page.locator(".field-created_at .readonly").text_content().strip()  # in the collapsed "Record"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", created), created


def test_a_legacy_reply_drafts_a_first_spec_in_one_click(page, base_url, owner, screenshot):
    twin = fresh_twin(owner, "Legacy browser twin")
    log_in(page, base_url, "admin")
    page.goto(f"{base_url}/twins/{twin.pk}/chat")
    page.fill("#message", "What is our runway?")
    page.get_by_role("button", name="Send").click()
    page.locator("#latest").get_by_test_id("spec-badge").wait_for()
    assert page.locator("#latest").get_by_test_id("spec-badge").inner_text() == "Legacy persona"
    page.get_by_test_id("draft-first-spec").last.click()
    page.wait_for_selector(".persona-toolbar")
    assert f"Review {twin.name} version 1.0.0" in page.inner_text("#content")
    assert statuses(twin) == {"1.0.0": "draft"}
    with schema_context("acme"):
        assert PersonaSpec.objects.get(twin=twin).source == "generated"
    screenshot(page, "legacy-draft-first-spec")
