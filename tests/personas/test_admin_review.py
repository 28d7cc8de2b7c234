"""The review page: diffs against the active version, the compiled prompt, the buttons it offers and why not.

Shared helpers are in admin_support.py, the fixtures (owner, twin, publisher, reviewer,
active_and_draft) in conftest.py.
"""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from personas.models import AuditEvent
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import make_user
from tests.personas.admin_support import (
    CHANGELIST,
    admin_client,
    review_url,
    run_action,
    statuses,
    text,
)
from tests.personas.builders import example_spec, new_twin

# --- the review page ----------------------------------------------------------------------------

def test_review_shows_side_by_side_diffs_against_the_active_version(in_acme, active_and_draft, reviewer):
    _, draft = active_and_draft
    response = admin_client(in_acme, reviewer).get(review_url(draft))
    assert response.status_code == 200
    html = text(response)
    assert "Compared with the <strong>active version 1.0.0</strong>" in html
    review = response.context["review"]
    removed = {"".join(s.text for s in row.left) for row in review.spec_diff.rows if row.kind in ("delete", "replace")}
    added = {"".join(s.text for s in row.right) for row in review.spec_diff.rows if row.kind in ("insert", "replace")}
    assert '    "Never fabricate sources, numbers or certainty.",' in removed
    assert '    "Never invent sources, numbers or certainty.",' in added
    assert '    "Say which assumption matters most."' in added
    # Removed: the old first rule, the last rule without its comma, the version. Added: those three
    # lines in their new form and the new rule.
    assert (review.spec_diff.added, review.spec_diff.removed) == (4, 3)
    # The same lines, in the page: removed on the left, added on the right.
    assert 'diff-del">    &quot;Never <span class="diff-mark">fabricate</span> sources' in html
    assert 'diff-add">    &quot;Never <span class="diff-mark">invent</span> sources' in html
    assert 'class="diff-text diff-add">    &quot;Say which assumption matters most.&quot;</td>' in html
    assert "- Say which assumption matters most." in review.preview.rendered
    prompt_added = ["".join(s.text for s in row.right) for row in review.prompt_diff.rows if row.kind == "insert"]
    assert "- Say which assumption matters most." in prompt_added
    assert 'id="rendered-prompt">You are Twin in admin, the digital twin of' in html
    assert "Publish this version" not in html  # a reviewer cannot publish


def test_the_reviewed_prompt_is_the_sent_prompt(in_acme, active_and_draft, reviewer, owner):
    """The review page's full prompt and fingerprint equal the preview API's and, once published, the chat's."""
    from chat.prompting import build_system_prompt
    from personas.prompting import preview_system_prompt

    _, draft = active_and_draft
    message = "Should we offer a free pilot?"
    response = admin_client(in_acme, reviewer).get(review_url(draft), {"q": message, "context": "public_share"})
    review = response.context["review"]
    assert review.intent_label == "advice_or_stance" and review.intent_choice == "auto"
    shown = review.preview.system_prompt
    assert shown.text.startswith("You are Twin in admin, the digital twin of admin-spec-owner.")
    assert "member of the public" in shown.text
    assert f'id="prompt-fingerprint">{shown.fingerprint}<' in text(response)
    assert preview_system_prompt(draft, message=message, interaction_context="public_share").text == shown.text
    persona_spec_publish(persona_spec=draft, actor=owner)
    from personas.selectors import active_spec_cache_refresh

    active_spec_cache_refresh(draft.twin_id)
    prompt, trace = build_system_prompt(draft.twin, message, "public_share")
    assert (prompt, trace["prompt_fingerprint"]) == (shown.text, shown.fingerprint)


def test_review_intent_switch_changes_the_modules(in_acme, active_and_draft, reviewer):
    _, draft = active_and_draft
    client = admin_client(in_acme, reviewer)

    def modules(intent):
        response = client.get(review_url(draft), {"intent": intent, "q": "How much should we raise?"})
        assert response.status_code == 200
        return response.context["review"].preview.plan["selected_module_ids"], text(response)

    advice, advice_html = modules("advice_or_stance")
    factual, _ = modules("factual_with_evidence")
    none, none_html = modules("none")
    assert advice == ["procedural.decision.clarify_before_advice"]
    assert factual == ["procedural.factual.cite_or_disclose"]
    assert none == []
    assert "INTENT PROCEDURAL MODULES" in advice_html and 'selected>advice_or_stance<' in advice_html
    assert '<span class="persona-chip">procedural.decision.clarify_before_advice</span>' in advice_html
    assert "none for this intent" in none_html
    assert modules("not-an-intent")[0] == []  # unknown labels mean no intent, never an error


def test_review_of_the_active_version_and_without_an_active_version(in_acme, active_and_draft, twin, reviewer,
                                                                    owner):
    active, _ = active_and_draft
    client = admin_client(in_acme, reviewer)
    html = text(client.get(review_url(active)))
    assert "This is the active version of Twin in admin." in html
    assert 'id="spec-diff"' not in html
    lonely_twin = new_twin(owner, "Twin without active version")
    draft = persona_spec_create(twin=lonely_twin, actor=owner, spec=example_spec())
    html = text(client.get(review_url(draft)))
    assert "Twin without active version has no active version." in html
    assert 'id="spec-diff"' not in html and 'id="rendered-prompt"' in html


def test_review_escapes_spec_content(in_acme, active_and_draft, owner, reviewer):
    active, _ = active_and_draft
    hostile = example_spec(constitution=["<script>alert('x')</script> & <b>bold</b>"])
    hostile["metadata"] = {"<img src=x onerror=alert(1)>": "</td></tr></table>"}
    draft = persona_spec_create(twin=active.twin, actor=owner, spec=hostile, notes="<i>notes</i>")
    html = text(admin_client(in_acme, reviewer).get(review_url(draft), {"q": "<script>q</script>"}))
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "<i>notes</i>" not in html and "<script>q</script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_review_of_an_unknown_version_redirects_with_a_message(in_acme, reviewer):
    client = admin_client(in_acme, reviewer)
    response = client.get(f"{CHANGELIST}00000000-0000-0000-0000-000000000000/review/", follow=True)
    assert response.status_code == 200
    assert "doesn’t exist" in text(response)


def test_review_needs_view_permission(in_acme, active_and_draft):
    _, draft = active_and_draft
    staff = make_user(in_acme, "admin-no-perms", staff=True)
    assert admin_client(in_acme, staff).get(review_url(draft)).status_code == 403


def test_publisher_gets_a_publish_button_leading_to_the_confirmation_page(in_acme, active_and_draft, publisher,
                                                                          owner):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    html = text(client.get(review_url(draft)))
    assert 'value="Publish this version…"' in html and 'name="action" value="publish_selected"' in html
    # The button posts the action for this one version (no "index": not the list's menu), which
    # answers with the confirmation page and changes nothing yet.
    page = client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [str(draft.pk)]})
    assert page.status_code == 200 and "persona-confirmation" in text(page)
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"}
    persona_spec_publish(persona_spec=draft, actor=owner)
    archived_html = text(client.get(review_url(active)))
    assert 'value="Roll back to this version…"' in archived_html
    assert 'value="Publish this version…"' not in text(client.get(review_url(draft)))  # active now


def test_a_reviewer_sees_why_they_cannot_publish_and_who_can(in_acme, active_and_draft, reviewer, owner, publisher):
    _, draft = active_and_draft
    html = text(admin_client(in_acme, reviewer).get(review_url(draft)))
    assert 'value="publish_selected"' not in html
    refusal = re.search(r'id="publish-refusal">(.*?)</div>', html, re.S).group(1)
    assert "You cannot publish this version" in refusal
    assert "You may not publish or roll back persona specs of this twin." in refusal
    who = re.search(r"Who can: (.*?)\.</p>", refusal).group(1).split(", ")
    assert who[0] == owner.username and publisher.username in who and reviewer.username not in who


def test_the_confirmed_reason_is_stored_on_the_audit_event_and_shown_in_the_trail(in_acme, active_and_draft,
                                                                                   publisher):
    _, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    page = run_action(client, "publish_selected", draft)
    assert 'name="reason"' in text(page)
    state = re.search(r'name="confirmation_state" value="([^"]+)"', text(page)).group(1)
    run_action(client, "publish_selected", draft, follow=True, confirm="yes", confirmation_state=state,
               reason="Constitution tightened after the October review")
    with schema_context("acme"):
        event = AuditEvent.objects.filter(twin=draft.twin, action="publish").first()
    assert (event.channel, event.reason) == ("admin", "Constitution tightened after the October review")
    trail = text(client.get("/admin/personas/auditevent/"))
    assert "Constitution tightened after the October review" in trail


def test_any_two_versions_can_be_compared_with_structural_changes_and_a_bump(in_acme, active_and_draft, reviewer,
                                                                             owner):
    active, draft = active_and_draft
    third = persona_spec_create(twin=draft.twin, actor=owner, spec=example_spec())  # 1.0.2, same as 1.0.0
    client = admin_client(in_acme, reviewer)
    response = client.get(review_url(third), {"compare": "1.0.1"})
    html = text(response)
    review = response.context["review"]
    assert review.baseline.version == "1.0.1" and not review.baseline_is_active
    assert "Compared with <strong>version 1.0.1</strong>" in html
    assert 'id="suggested-bump">major<' in html  # 1.0.2 drops the rule 1.0.1 added... and rewords one
    assert '<option value="1.0.1" selected>1.0.1 (draft)</option>' in html
    assert review.structural.changes and all(change.section == "constitution" for change in review.structural.changes)
    same = client.get(review_url(third), {"compare": "1.0.0"}).context["review"]
    assert same.structural.suggested_bump == "none" and same.baseline_is_active
    # The list's action: two versions of one twin open the newer one compared with the older.
    redirect = run_action(client, "compare_selected", active, third)
    assert redirect.status_code == 302
    assert redirect["Location"] == f"{review_url(third)}?compare=1.0.0#structural-changes"
    refused = text(run_action(client, "compare_selected", active, follow=True))
    assert "Select exactly two versions of the same twin to compare." in refused


def test_review_and_twin_pages_print_every_moment_in_one_compact_format(in_acme, active_and_draft, reviewer):
    from django.utils.timezone import localtime

    active, _ = active_and_draft
    client = admin_client(in_acme, reviewer)
    expected = localtime(active.created_at).strftime("%Y-%m-%d %H:%M")
    long_form = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}|a\.m\.|p\.m\.|minutes ago")
    review = text(client.get(review_url(active)))
    assert f"<td>{expected} by " in review
    twin_page = text(client.get(f"/admin/twins/twin/{active.twin_id}/change/"))
    history = twin_page[twin_page.index("persona_specs-group"):twin_page.index("auditevents-group")
                        if "auditevents-group" in twin_page else None]
    assert expected in history
    for html in (review, history):
        assert not long_form.search(html), long_form.search(html).group(0)
