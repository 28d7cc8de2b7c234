"""Content-Security-Policy (django-csp): every page carries it, scripts only from this origin or with
the response's nonce; and in a real browser the pages staff and chatters use raise no violation."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.factories import demo_admin
from tests.personas.admin_support import admin_client


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("host, path", [("acme.localhost", "/accounts/login/"), ("acme.localhost", "/admin/login/"),
                                        ("localhost", "/admin/login/"), ("acme.localhost", "/api/docs/"),
                                        ("acme.localhost", "/api/redoc/")])
def test_pages_carry_the_policy(db, host, path):
    response = Client(HTTP_HOST=host).get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    # These pages have no inline script: a nonce is added only to responses whose template asked for one.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())


@pytest.mark.parametrize("path", ["/admin/personas/personaspec/add/", "chat"])
def test_an_inline_script_carries_the_nonce_of_its_own_response(acme, path):
    """Pages keep their scripts in static files; where one is inline, it carries this response's nonce."""
    with schema_context("acme"):
        from twins.models import Twin

        twin = Twin.objects.first()
    client = admin_client(acme, demo_admin(acme))
    path = f"/twins/{twin.pk}/chat" if path == "chat" else path
    nonces = []
    for _request in range(2):
        response = client.get(path)
        assert response.status_code == 200
        inline = [tag for tag in re.findall(r"<script\b[^>]*>", response.content.decode()) if "src=" not in tag]
        if not inline:
            assert "'nonce-" not in response["Content-Security-Policy"]  # asked for only when a template uses it
            return
        nonce = next(value for value in policy(response)["script-src"] if value.startswith("'nonce-"))[7:-1]
        assert all(f'nonce="{nonce}"' in tag for tag in inline), inline
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_the_api_answers_carry_the_policy_too(acme):
    response = Client(HTTP_HOST="acme.localhost").get("/api/twins/")
    assert response.status_code == 401 and "default-src 'self'" in response["Content-Security-Policy"]


# --- a real browser: no page raises a violation --------------------------------------------------

REPORTER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.mark.browser
def test_no_page_raises_a_csp_violation_in_a_real_browser(committed_db, live_server_port, page, screenshot):
    from personas.models import PersonaSpec
    from twins.models import Twin

    with schema_context("acme"):
        twin = Twin.objects.get(name="Maya Chen")
        active = PersonaSpec.objects.filter(twin=twin, status="active").first()
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.add_init_script(REPORTER)
    base = f"http://acme.localhost:{live_server_port}"

    def visit(path: str, ready: str | None = None):
        page.goto(f"{base}{path}")
        if ready:
            page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__cspViolations")
        csp_errors = [text for text in console_errors if "Content Security Policy" in text]
        assert not violations and not csp_errors, (path, violations, csp_errors)

    visit("/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo-password")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    visit("/", "a")
    visit(f"/twins/{twin.pk}/chat", "#message")
    page.fill("#message", "Should we offer a free pilot?")
    page.get_by_role("button", name="Send").click()
    page.locator("#latest").wait_for()
    assert not page.evaluate("window.__cspViolations")  # the page's own script sent the turn and drew the reply
    visit("/api/docs/", ".swagger-ui .info")  # Swagger UI: drawn by its scripts, so they ran
    visit("/api/redoc/", ".api-content")  # ReDoc, the same
    page.goto(f"{base}/admin/login/")
    visit("/admin/", "#content")
    visit("/admin/personas/personaspec/add/", "form")
    if active is not None:
        visit(f"/admin/personas/personaspec/{active.pk}/review/", "#content")
    visit(f"/admin/twins/twin/{twin.pk}/change/", "form")
    screenshot(page, "csp-admin-twin-page")
    assert not [text for text in console_errors if "Content Security Policy" in text]
