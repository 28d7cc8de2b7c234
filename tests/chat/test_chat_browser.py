"""A person logs in on the demo tenant, sends a message, and sees the reply with its spec version."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_chat_in_a_real_browser(committed_db, live_server_port, page, screenshot):
    base = f"http://acme.localhost:{live_server_port}"
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo-password")
    page.click("button[type=submit]")

    page.get_by_role("link", name="Maya Chen").click()  # the demo twin, seeded with an active spec
    page.fill("#message", "Should we offer a free pilot to our first enterprise customer?")
    page.get_by_role("button", name="Send").click()

    reply = page.locator("#latest")
    reply.wait_for()
    assert "free pilot tells you nothing" in reply.get_by_test_id("reply").inner_text()
    badge = reply.get_by_test_id("spec-badge").inner_text()
    assert badge.startswith("Spec v")
    assert "Offline demo responder" in reply.inner_text()
    compliance = reply.get_by_test_id("compliance-badge")
    assert compliance.is_visible() and compliance.inner_text() == "Compliance 100%"
    details = reply.get_by_test_id("compliance-details")
    assert not details.get_by_text("Checked:").is_visible()  # on demand
    details.locator("summary").click()
    assert details.get_by_text("Checked:").is_visible()
    screenshot(page, "chat-reply-with-spec-badge")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "chat-reply-phone")
    reply.get_by_role("link", name="View system prompt").click()
    assert "## CONSTITUTION" in page.locator("pre.prompt").inner_text()
