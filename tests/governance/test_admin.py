"""Governance in the tenant admin: the Approvals panel on a version's review page and the view its
buttons post to, the read-only approval list, the publish policies (tenant default and the twin's own,
on the twin page), every change through the services."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from governance.models import Approval, PolicyChange, PublishPolicy
from governance.services import approval_record
from personas.models import AuditEvent
from personas.transitions import persona_spec_publish
from tests.factories import demo_admin, make_user
from tests.governance.conftest import require_approvals
from tests.personas.admin_support import admin_client, review_url, text

APPROVALS = "/admin/governance/approval/"
POLICIES = "/admin/governance/publishpolicy/"


def decide_url(persona_spec) -> str:
    return f"{APPROVALS}decide/{persona_spec.pk}/"


def trail(twin) -> list[tuple]:
    with schema_context("acme"):
        return list(AuditEvent.objects.filter(twin=twin).order_by("id").values_list("action", "channel",
                                                                                    "actor_username"))


def approvals(persona_spec) -> list[tuple]:
    with schema_context("acme"):
        return list(Approval.objects.filter(persona_spec=persona_spec).order_by("sequence")
                    .values_list("reviewer_username", "decision", "comment"))


# --- the review page's panel ------------------------------------------------------------------------

def test_a_reviewer_approves_from_the_review_page(acme, draft, twin, rob):
    with schema_context("acme"):
        require_approvals(twin, 1)
    client = admin_client(acme, rob)
    page = text(client.get(review_url(draft)))
    assert 'id="panel-approvals"' in page and "needs <strong>1 approval</strong>" in page
    assert "No reviews of version 1.0.0 yet." in page
    assert 'value="approve"' in page and 'value="request_changes"' in page and f'action="{decide_url(draft)}"' in page

    response = client.post(decide_url(draft), {"decision": "approve", "comment": "Clear and kind."})
    assert response.status_code == 302 and response["Location"] == review_url(draft)
    page = text(client.get(response["Location"]))
    assert "You approved version 1.0.0 of Governed twin." in page and "may be published" in page
    assert "<strong>Approved:</strong> rob." in page and "Clear and kind." in page and "this content" in page
    assert approvals(draft) == [("rob", "approve", "Clear and kind.")]
    assert trail(twin)[-1] == ("approve", "admin", "rob")


def test_a_request_for_changes_without_a_comment_is_refused_with_the_reason(acme, draft, twin, rob):
    client = admin_client(acme, rob)
    response = client.post(decide_url(draft), {"decision": "request_changes", "comment": ""}, follow=True)
    assert "Your review was not recorded: The review is invalid. (say what should change" in text(response)
    assert approvals(draft) == []
    client.post(decide_url(draft), {"decision": "request_changes", "comment": "Shorter answers."})
    page = text(client.get(review_url(draft)))
    assert "Shorter answers." in page and "Request changes" in page
    assert approvals(draft) == [("rob", "request_changes", "Shorter answers.")]


def test_the_author_sees_why_not_and_who_can_and_a_forged_post_is_refused(acme, draft, twin, author, rob):
    client = admin_client(acme, author)
    page = text(client.get(review_url(draft)))
    assert 'id="approval-form"' not in page
    assert "You wrote version 1.0.0: someone else must review it." in page
    who = page.split("Who can review it: ")[1].split(".</p>")[0].split(", ")
    assert "rob" in who and "gov-author" not in who
    response = client.post(decide_url(draft), {"decision": "approve"}, follow=True)
    assert "Your review was not recorded: You wrote version 1.0.0: someone else must review it." in text(response)
    assert approvals(draft) == [] and trail(twin) == [("create", "api", "gov-author")]


def test_without_the_permission_the_panel_says_so_and_the_post_is_refused(acme, draft, twin, publisher):
    client = admin_client(acme, publisher)
    page = text(client.get(review_url(draft)))
    assert 'id="approval-form"' not in page and "that needs the approve permission" in page
    response = client.post(decide_url(draft), {"decision": "approve"}, follow=True)
    assert "Your review was not recorded: You may not approve" in text(response)
    assert approvals(draft) == []


def test_a_version_that_is_not_a_draft_offers_no_review(acme, draft, twin, owner, rob):
    with schema_context("acme"):
        persona_spec_publish(persona_spec=draft, actor=owner)
    client = admin_client(acme, rob)
    page = text(client.get(review_url(draft)))
    assert "Only drafts can be reviewed: version 1.0.0 is active." in page and 'id="approval-form"' not in page
    response = client.post(decide_url(draft), {"decision": "approve"}, follow=True)
    assert "only drafts can be reviewed" in text(response) and approvals(draft) == []


def test_an_approval_of_other_content_is_shown_as_not_counting(acme, draft, twin, rob):
    with schema_context("acme"):
        require_approvals(twin, 1)
        Approval.objects.create(persona_spec=draft, sequence=1, spec_hash="a" * 64, reviewer=rob,
                                reviewer_username="rob", decision="approve")
    page = text(admin_client(acme, rob).get(review_url(draft)))
    assert "<strong>other content</strong>" in page and "does not count" in page
    assert "1 more approval needed." in page


def test_the_decide_view_takes_only_csrf_protected_posts(acme, draft, rob):
    client = admin_client(acme, rob)
    assert client.get(decide_url(draft)).status_code == 405
    strict = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    with schema_context("acme"):
        strict.force_login(rob)
    assert strict.post(decide_url(draft), {"decision": "approve"}).status_code == 403
    assert client.post(f"{APPROVALS}decide/00000000-0000-0000-0000-000000000000/",
                       {"decision": "approve"}).status_code == 404
    assert approvals(draft) == []


# --- the approval list --------------------------------------------------------------------------------

def test_the_approval_list_is_read_only_and_filters_by_decision_and_twin(acme, draft, twin, rob, sam):
    with schema_context("acme"):
        approval_record(persona_spec=draft, reviewer=rob, decision="approve", comment="Yes.")
        approval_record(persona_spec=draft, reviewer=sam, decision="request_changes", comment="No.")
        approval = Approval.objects.get(reviewer_username="rob")
    client = admin_client(acme, rob)
    listing = text(client.get(APPROVALS, {"persona_spec__twin__id__exact": twin.pk}))
    assert "Yes." in listing and "No." in listing
    only_approvals = text(client.get(APPROVALS, {"decision__exact": "approve",
                                                 "persona_spec__twin__id__exact": twin.pk}))
    assert "Yes." in only_approvals and "No." not in only_approvals
    assert client.get(f"{APPROVALS}add/").status_code == 403
    detail = client.get(f"{APPROVALS}{approval.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in text(detail)
    assert client.post(f"{APPROVALS}{approval.pk}/delete/", {"post": "yes"}).status_code == 403


# --- publish policies -------------------------------------------------------------------------------------

def test_the_tenant_default_is_set_in_the_admin_through_the_service(acme, twin, policy_admin):
    client = admin_client(acme, policy_admin)
    response = client.post(f"{POLICIES}add/", {"twin": "", "require_approval": "on", "approvals_required": "2", "min_pass_rate": "1",
                                               "_save": "Save"})
    assert response.status_code == 302, response.context and response.context["errors"]
    with schema_context("acme"):
        default = PublishPolicy.objects.get(twin=None)
        change = PolicyChange.objects.get(twin=None)
    assert (default.require_approval, default.approvals_required, default.updated_by) == (True, 2, policy_admin)
    assert (change.channel, change.actor_username, change.after["approvals_required"]) == (
        "admin", "gov-policy-admin", 2)
    listing = text(client.get(POLICIES))
    assert "Tenant default" in listing

    again = client.post(f"{POLICIES}add/", {"twin": "", "approvals_required": "1", "min_pass_rate": "1", "_save": "Save"})
    assert again.status_code == 200 and "already has a default publish policy" in text(again)
    response = client.post(f"{POLICIES}{default.pk}/change/", {"approvals_required": "11", "min_pass_rate": "1", "_save": "Save"})
    assert response.status_code == 200 and "less than or equal to 10" in text(response)
    with schema_context("acme"):
        assert PolicyChange.objects.filter(twin=None).count() == 1


def test_a_twin_policy_changed_in_the_policy_admin_is_audited(acme, twin, policy_admin):
    with schema_context("acme"):
        policy = require_approvals(twin, 1)
    response = admin_client(acme, policy_admin).post(f"{POLICIES}{policy.pk}/change/", {
        "approvals_required": "2", "min_pass_rate": "1", "require_approval": "on", "_save": "Save"})
    assert response.status_code == 302
    assert trail(twin) == [("policy_change", "admin", "gov-policy-admin")]
    with schema_context("acme"):
        assert PublishPolicy.objects.get(pk=policy.pk).approvals_required == 2


def test_policies_cannot_be_changed_without_the_permission_the_owner_included(acme, twin, owner, publisher):
    with schema_context("acme"):
        policy = require_approvals(twin, 1)
        staff_owner = make_user(acme, "gov-staff-owner", perms=["governance.view_publishpolicy"], staff=True)
    for user in (staff_owner, publisher):
        client = admin_client(acme, user)
        assert client.get(f"{POLICIES}add/").status_code == 403
        client.post(f"{POLICIES}{policy.pk}/change/", {"require_approval": "", "approvals_required": "1", "min_pass_rate": "1"})
    with schema_context("acme"):
        assert PublishPolicy.objects.get(pk=policy.pk).require_approval
    assert admin_client(acme, publisher).get(POLICIES).status_code == 403  # not even to look
    assert trail(twin) == []


def twin_page_data(page, **policy_fields) -> dict:
    """What the twin's change form posts: its fields, every inline's management form, and the twin's
    own publish policy when given (as the "Add another" link would add it)."""
    twin = page.context["original"]
    data = {"name": twin.name, "owner": str(twin.owner_id), "status": twin.status, "settings": "{}", "_save": "Save"}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{management.prefix}-{name}": value for name, value in management.initial.items()})
    if policy_fields:
        data.update({"publish_policy-TOTAL_FORMS": "1", "publish_policy-0-id": "",
                     "publish_policy-0-twin": str(twin.pk),
                     # The form's initial value of the gate's pass rate, as a browser posts it.
                     **{f"publish_policy-0-{key}": value for key, value in {"min_pass_rate": "1", **policy_fields}.items()}})
    return data


def test_the_twin_page_shows_the_policy_and_sets_its_own_through_the_service(acme, twin):
    admin = demo_admin(acme)
    client = admin_client(acme, admin)
    url = f"/admin/twins/twin/{twin.pk}/change/"
    page = client.get(url)
    assert "Needs no approval before publishing (the built-in default)." in text(page)
    assert "publish_policy-group" in text(page)

    assert client.post(url, twin_page_data(page)).status_code == 302  # saved unchanged: no policy
    with schema_context("acme"):
        assert not PublishPolicy.objects.filter(twin=twin).exists()
    response = client.post(url, twin_page_data(page, require_approval="on", approvals_required="2"))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert trail(twin) == [("policy_change", "admin", "admin")]
    page = client.get(url)
    assert ("Needs 2 approvals of a version&#x27;s exact content before publishing (this twin&#x27;s own policy)."
            in text(page))


def test_deleting_the_twins_policy_on_its_page_puts_it_back_on_the_default_through_the_service(acme, twin):
    with schema_context("acme"):
        policy = require_approvals(twin, 2)
    client = admin_client(acme, demo_admin(acme))
    url = f"/admin/twins/twin/{twin.pk}/change/"
    page = client.get(url)
    assert "publish_policy-0-DELETE" in text(page)  # offered to who may change policies
    data = twin_page_data(page)
    data.update({"publish_policy-0-id": str(policy.pk), "publish_policy-0-twin": str(twin.pk),
                 "publish_policy-0-require_approval": "on", "publish_policy-0-approvals_required": "2",
                 "publish_policy-0-min_pass_rate": "1", "publish_policy-0-DELETE": "on"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    with schema_context("acme"):
        assert not PublishPolicy.objects.filter(twin=twin).exists()
    assert trail(twin) == [("policy_change", "admin", "admin")]
    assert "Needs no approval before publishing (the built-in default)." in text(client.get(url))


def test_a_reader_of_policies_is_not_offered_to_delete_one(acme, twin):
    with schema_context("acme"):
        require_approvals(twin, 1)
    reader = make_user(acme, "gov-policy-viewer", perms=["twins.view_twin", "twins.change_twin",
                                                         "governance.view_publishpolicy"], staff=True)
    page = admin_client(acme, reader).get(f"/admin/twins/twin/{twin.pk}/change/")
    assert page.status_code == 200
    assert "publish_policy-0-DELETE" not in text(page)


def test_who_changed_a_policy_reads_as_text_never_a_link_to_the_user_admin(acme, twin):
    admin = demo_admin(acme)
    reader = make_user(acme, "gov-policy-reader", perms=["twins.view_twin", "governance.view_publishpolicy"],
                       staff=True)
    with schema_context("acme"):
        policy = require_approvals(twin, 1)
        policy.updated_by = admin
        policy.save(update_fields=["updated_by"])
    for page in (admin_client(acme, reader).get(f"/admin/twins/twin/{twin.pk}/change/"),
                 admin_client(acme, reader).get(f"{POLICIES}{policy.pk}/change/")):
        html = text(page)
        assert page.status_code == 200 and f"{admin.username} (" in html
        assert f"/admin/auth/user/{admin.pk}/" not in html


def test_globex_admin_sees_nothing_of_acmes_approvals_and_policies(acme, globex, draft, twin, rob):
    with schema_context("acme"):
        approval_record(persona_spec=draft, reviewer=rob, decision="approve", comment="acme only")
        require_approvals(twin, 1)
    client = admin_client(globex, demo_admin(globex))
    assert "acme only" not in text(client.get(APPROVALS))
    assert client.post(decide_url(draft), {"decision": "approve"}).status_code == 404
    assert "Governed twin" not in text(client.get(POLICIES))
