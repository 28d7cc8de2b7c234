"""The chat pages through Django's test client on tenant hosts: no JavaScript needed."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from chat.models import Conversation
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import make_user
from tests.personas.builders import example_spec, new_twin


def login(tenant, user, password="pw-for-tests-1") -> Client:
    client = Client(HTTP_HOST=f"{tenant.schema_name}.localhost")
    assert client.post("/accounts/login/", {"username": user.username, "password": password}).status_code == 302
    return client


@pytest.fixture
def owner(acme):
    return make_user(acme, "page-owner")


@pytest.fixture
def twin(acme, owner, django_capture_on_commit_callbacks):
    with schema_context("acme"):
        twin = new_twin(owner, name="Maya", public_intro="I'm Maya's twin.")
        draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec())
        with django_capture_on_commit_callbacks(execute=True):
            persona_spec_publish(persona_spec=draft, actor=owner)
    return twin


def test_pages_need_a_login(acme, twin):
    client = Client(HTTP_HOST="acme.localhost")
    for path in ("/", f"/twins/{twin.pk}/chat"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_twin_list_shows_the_active_version(acme, owner, twin):
    page = login(acme, owner).get("/").content.decode()
    assert "Maya" in page and "Spec v1.0.0" in page


def test_posting_a_message_without_javascript(acme, owner, twin):
    client = login(acme, owner)
    response = client.post(f"/twins/{twin.pk}/chat", {"message": "Should we offer a free pilot?"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Should we offer a free pilot?" in page
    assert "free pilot tells you nothing" in page
    assert "Spec v1.0.0" in page and "Offline demo responder" in page
    assert "advice_or_stance" in page and "procedural.decision.clarify_before_advice" in page
    assert "View system prompt" in page


def test_each_reply_shows_its_compliance_badge_and_violations_on_demand(acme, owner, twin):
    client = login(acme, owner)
    client.post(f"/twins/{twin.pk}/chat", {"message": "Should we offer a free pilot?"})
    with schema_context("acme"):
        conversation = Conversation.objects.get(twin=twin)
    client.post(f"/twins/{twin.pk}/chat", {"message": "Thoughts?", "conversation_id": conversation.pk})
    with schema_context("acme"):  # the second reply as a reply breaking a rule would have stored it
        ambiguous = conversation.messages.filter(role="assistant").last()
        ambiguous.trace["compliance"] = {
            "score": 0.8, "rules_checked": ["banned_phrase", "length", "clarify"],
            "violations": [{"rule": "clarify", "detail": "the reply asks <no> question"}],
        }
        ambiguous.save(update_fields=["trace"])

    page = client.get(f"/twins/{twin.pk}/chat?conversation={conversation.pk}").content.decode()

    assert '<span class="badge badge-compliance-good" data-testid="compliance-badge"' in page
    assert "Compliance 100%" in page and "no violations" in page
    assert '<span class="badge badge-compliance-fair" data-testid="compliance-badge"' in page
    assert "Compliance 80%" in page and "1 violation<" in page
    assert "<li><code>clarify</code> the reply asks &lt;no&gt; question</li>" in page  # escaped
    assert "<details" in page and "<code>banned_phrase</code>, <code>length</code>, <code>clarify</code>" in page


def test_a_legacy_reply_says_its_compliance_was_not_checked(acme, owner):
    with schema_context("acme"):
        legacy = new_twin(owner, name="Legacy twin")
    client = login(acme, owner)
    response = client.post(f"/twins/{legacy.pk}/chat", {"message": "Hello"})

    page = client.get(response["Location"]).content.decode()

    assert "Compliance not checked" in page and "badge-compliance-" not in page


def test_staff_who_may_draft_get_one_click_to_a_first_spec_under_a_legacy_reply(acme, owner, twin):
    with schema_context("acme"):
        legacy = new_twin(owner, name="Legacy twin")
    button = "Draft a first spec from this persona"
    action = f'action="/admin/twins/twin/{legacy.pk}/draft-first-spec/"'
    # The owner is no staff: the admin is not theirs, so the button is not offered.
    client = login(acme, owner)
    response = client.post(f"/twins/{legacy.pk}/chat", {"message": "Hello"})
    assert button not in client.get(response["Location"]).content.decode()
    staff = make_user(acme, "page-drafter", staff=True, perms=["twins.view_twin", "personas.add_personaspec"])
    staff_client = login(acme, staff)
    response = staff_client.post(f"/twins/{legacy.pk}/chat", {"message": "Hello"})
    page = staff_client.get(response["Location"]).content.decode()
    assert button in page and action in page
    with schema_context("acme"):
        fingerprint = Conversation.objects.get(twin=legacy, user=staff).messages.get(role="assistant") \
            .trace["prompt_fingerprint"]
    conversation = response["Location"].split("conversation=")[1].split("#")[0]
    prompt_page = staff_client.get(f"/twins/{legacy.pk}/prompts/{fingerprint}?conversation={conversation}")
    assert button in prompt_page.content.decode()
    # A reply from a persona spec has no such button.
    response = staff_client.post(f"/twins/{twin.pk}/chat", {"message": "Hello"})
    assert button not in staff_client.get(response["Location"]).content.decode()


def test_the_system_prompt_link_shows_the_prompt_that_was_used(acme, owner, twin):
    client = login(acme, owner)
    client.post(f"/twins/{twin.pk}/chat", {"message": "How much should we raise?"})
    with schema_context("acme"):
        trace = Conversation.objects.get(twin=twin).messages.get(role="assistant").trace
    page = client.get(f"/twins/{twin.pk}/prompts/{trace['prompt_fingerprint']}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "## CONSTITUTION" in html
    assert "spec version 1.0.0" in html and "<code>advice_or_stance</code>" in html and "<code>owner_chat</code>" in html
    # Someone who never received a reply made with that prompt cannot read it.
    colleague = make_user(acme, perms=["twins.view_twin"])
    assert login(acme, colleague).get(f"/twins/{twin.pk}/prompts/{trace['prompt_fingerprint']}").status_code == 404
    # Nor under another twin's address.
    with schema_context("acme"):
        other_twin = new_twin(owner, name="Other twin")
    assert client.get(f"/twins/{other_twin.pk}/prompts/{trace['prompt_fingerprint']}").status_code == 404


def test_an_empty_message_shows_an_error_and_stores_nothing(acme, owner, twin):
    response = login(acme, owner).post(f"/twins/{twin.pk}/chat", {"message": "  "})
    assert response.status_code == 400
    assert "must not be empty" in response.content.decode()
    with schema_context("acme"):
        assert not Conversation.objects.filter(twin=twin).exists()


def test_a_failing_model_endpoint_is_shown_in_the_page(acme, owner, twin):
    with override_settings(LLM_PROVIDER="openai", LLM_BASE_URL="http://127.0.0.1:9/v1", LLM_TIMEOUT_SECONDS=1):
        response = login(acme, owner).post(f"/twins/{twin.pk}/chat", {"message": "Hello?"})
    assert response.status_code == 502
    page = response.content.decode()
    assert "The language model did not answer" in page
    assert "Hello?" in page  # the draft is kept in the form


def test_other_users_and_tenants_cannot_open_the_chat(acme, globex, twin):
    stranger = make_user(acme)
    assert login(acme, stranger).get(f"/twins/{twin.pk}/chat").status_code == 404
    globex_user = make_user(globex, "globex-user", superuser=True)
    assert login(globex, globex_user).get(f"/twins/{twin.pk}/chat").status_code == 404


def test_a_conversation_of_another_user_is_404(acme, owner, twin):
    client = login(acme, owner)
    client.post(f"/twins/{twin.pk}/chat", {"message": "Hi"})
    with schema_context("acme"):
        conversation_id = Conversation.objects.get(twin=twin).pk
    viewer = make_user(acme, perms=["twins.view_twin"])
    assert login(acme, viewer).get(f"/twins/{twin.pk}/chat?conversation={conversation_id}").status_code == 404


def test_a_malformed_conversation_id_is_404(acme, owner, twin):
    assert login(acme, owner).get(f"/twins/{twin.pk}/chat?conversation=not-a-uuid").status_code == 404


def test_staff_who_may_review_get_the_version_linked_to_its_review_page(acme, owner, twin):
    client = login(acme, owner)
    client.post(f"/twins/{twin.pk}/chat", {"message": "How much should we raise?"})
    assert "/admin/personas/personaspec/twin/" not in client.get(f"/twins/{twin.pk}/chat").content.decode()
    staff = make_user(acme, "page-staff", staff=True, perms=["twins.view_twin", "personas.view_personaspec"])
    staff_client = login(acme, staff)
    staff_client.post(f"/twins/{twin.pk}/chat", {"message": "How much should we raise?"})
    with schema_context("acme"):
        conversation = Conversation.objects.get(twin=twin, user=staff)
    page = staff_client.get(f"/twins/{twin.pk}/chat?conversation={conversation.pk}").content.decode()
    link = f"/admin/personas/personaspec/twin/{twin.pk}/version/1.0.0/"
    assert f'href="{link}"' in page
    review = staff_client.get(link)
    with schema_context("acme"):
        from personas.models import PersonaSpec

        spec_id = PersonaSpec.objects.get(twin=twin, version="1.0.0").pk
    assert review.status_code == 302 and review["Location"] == f"/admin/personas/personaspec/{spec_id}/review/"
    missing = staff_client.get(f"/admin/personas/personaspec/twin/{twin.pk}/version/9.9.9/")
    assert missing.status_code == 302 and "/admin/" in missing["Location"]


def test_a_version_page_shows_its_replies_with_a_link(acme, globex, owner, twin):
    client = login(acme, owner)
    for message in ("How much should we raise?", "Should we offer a free pilot?"):
        client.post(f"/twins/{twin.pk}/chat", {"message": message})
    superuser = make_user(acme, "page-super", superuser=True)
    with schema_context("acme"):
        from personas.models import PersonaSpec

        spec = PersonaSpec.objects.get(twin=twin, version="1.0.0")
    html = login(acme, superuser).get(f"/admin/personas/personaspec/{spec.pk}/review/").content.decode()
    assert "<strong>2</strong> replies, the last on" in html
    assert f"conversation__twin__id__exact={twin.pk}&amp;spec_version=1.0.0" in html
    # globex has its own 1.0.0 of its demo twin: acme's replies never count there, nor globex's here.
    with schema_context("globex"):
        from chat.selectors import version_usage

        assert version_usage(twin_id=twin.pk, version="1.0.0").replies == 0


def test_the_offline_badge_says_what_the_reply_was_made_from(acme, owner, twin):
    # Regression: on the legacy persona the badge claimed the reply came "from the spec".
    with schema_context("acme"):
        legacy = new_twin(owner, name="Legacy twin")
    client = login(acme, owner)

    spec_page = client.get(client.post(f"/twins/{twin.pk}/chat", {"message": "Hi Maya!"})["Location"]).content.decode()
    legacy_page = client.get(client.post(f"/twins/{legacy.pk}/chat", {"message": "Hi!"})["Location"]).content.decode()

    assert "canonical example for this intent" in spec_page and "no usable persona spec" not in spec_page
    assert "no usable persona spec" in legacy_page and "from the spec" not in legacy_page
    # How the intent was decided, beside it.
    assert '<span class="muted small" data-testid="intent-source">rule · 1.00</span>' in spec_page
