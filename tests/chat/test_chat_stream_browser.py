"""The chat page streams a reply: its text shows as the model sends it, the trace once it is stored;
without JavaScript the form posts and redirects as before."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.fake_model import fake_model

pytestmark = pytest.mark.browser

TOKEN_DELAY_S = 0.3
REPLY = ("Run a paid pilot with a clear success metric, a fixed scope and a named sponsor on their side; "
         "anything free teaches you nothing about whether they will buy.")
QUESTION = "Should we offer a free pilot to our first enterprise customer?"


def log_in_and_open_maya(page, base):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo-password")
    page.click("button[type=submit]")
    page.get_by_role("link", name="Maya Chen").click()  # the demo twin, seeded with an active spec


def test_a_streamed_reply_shows_as_it_arrives_then_its_trace(committed_db, live_server_port, page, screenshot):
    base = f"http://acme.localhost:{live_server_port}"
    with fake_model(lambda message: REPLY, token_delay_s=TOKEN_DELAY_S) as (url, log), \
            override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=url, LLM_MODEL="fake-model"):
        log_in_and_open_maya(page, base)
        page.fill("#message", QUESTION)
        page.get_by_role("button", name="Send").click()

        streaming = page.get_by_test_id("streaming")
        # Some words are shown while the reply is still coming: a proper prefix, and no trace yet.
        page.wait_for_function(
            "() => { const r = document.querySelector('[data-testid=streaming] [data-testid=reply]');"
            " return r && r.textContent.split(' ').length >= 3; }")
        partial = streaming.get_by_test_id("reply").inner_text()
        assert REPLY.startswith(partial) and len(partial) < len(REPLY), partial
        assert streaming.get_by_test_id("trace-pending").is_visible()
        assert page.locator("#latest").count() == 0
        assert page.get_by_role("button", name="Sending…").is_disabled()
        screenshot(page, "chat-reply-streaming")

        latest = page.locator("#latest")
        latest.wait_for(timeout=30_000)
        assert latest.get_by_test_id("reply").inner_text() == REPLY
        assert latest.get_by_test_id("spec-badge").inner_text().startswith("Spec v")
        assert latest.get_by_test_id("compliance-badge").inner_text().startswith("Compliance ")
        assert "fake-model" in latest.get_by_test_id("trace").inner_text()
        assert page.get_by_test_id("streaming").count() == 0
        assert "?conversation=" in page.url and page.input_value("#message") == ""
        screenshot(page, "chat-reply-streamed-with-trace")

        # The next message continues the same conversation.
        page.fill("#message", "And what should the success metric be?")
        page.get_by_role("button", name="Send").click()
        page.wait_for_function("() => document.querySelectorAll('.msg-row.assistant').length === 2"
                               " && document.getElementById('latest')"
                               " && !document.querySelector('[data-testid=streaming]')", timeout=30_000)
        assert page.locator(".msg-row.user").count() == 2
    assert len(log.requests) == 2 and all(request["body"]["stream"] for request in log.requests)
    assert [m["role"] for m in log.requests[1]["body"]["messages"]] == ["system", "user", "assistant", "user"]


def test_a_stream_failing_midway_shows_the_error_and_gives_the_message_back(committed_db, live_server_port, page):
    base = f"http://acme.localhost:{live_server_port}"
    with fake_model(lambda message: REPLY, break_stream="cut", break_after=4) as (url, _), \
            override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=url):
        log_in_and_open_maya(page, base)
        page.fill("#message", QUESTION)
        page.get_by_role("button", name="Send").click()
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert alert.inner_text() == "The language model endpoint stopped before the reply was complete."
    assert page.get_by_test_id("streaming").count() == 0 and page.locator("#latest").count() == 0
    assert page.input_value("#message") == QUESTION
    assert page.get_by_role("button", name="Send").is_enabled()


def test_without_javascript_the_form_posts_and_shows_the_reply_and_trace(committed_db, live_server_port, chromium):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in_and_open_maya(page, f"http://acme.localhost:{live_server_port}")
        page.fill("#message", QUESTION)
        page.get_by_role("button", name="Send").click()
        latest = page.locator("#latest")
        latest.wait_for()
        assert "free pilot tells you nothing" in latest.get_by_test_id("reply").inner_text()  # offline responder
        assert latest.get_by_test_id("spec-badge").inner_text().startswith("Spec v")
        assert "?conversation=" in page.url
    finally:
        context.close()


def test_a_json_error_before_the_stream_is_shown_beside_the_message(committed_db, live_server_port, page):
    with fake_model(lambda message: None) as (url, _), override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=url):
        log_in_and_open_maya(page, f"http://acme.localhost:{live_server_port}")
        page.fill("#message", QUESTION)
        page.get_by_role("button", name="Send").click()
        alert = page.get_by_role("alert")
        alert.wait_for()
    assert alert.inner_text().startswith("The language model endpoint returned HTTP 500")
    assert page.get_by_test_id("streaming").count() == 0 and page.input_value("#message") == QUESTION
    assert "?conversation=" not in page.url
