"""Swagger UI and ReDoc work offline: their assets come from the project (drf-spectacular-sidecar),
never from a CDN."""

from __future__ import annotations

import re

import pytest
from django.test import Client


def asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_reference_no_external_host_and_their_scripts_are_served(acme, path):
    client = Client(HTTP_HOST="acme.localhost")
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert not re.search(r"https?://", html), re.findall(r"https?://\S+", html)
    scripts = [url for url in asset_urls(html) if url.endswith(".js")]
    assert scripts, "the page references no script"
    for url in scripts:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content if asset.streaming else [asset.content])


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_in_a_browser(committed_db, live_server_port, page, screenshot):
    external = []
    page.on("request", lambda request: external.append(request.url)
            if not request.url.startswith(f"http://acme.localhost:{live_server_port}/") else None)
    page.goto(f"http://acme.localhost:{live_server_port}/api/docs/")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() > 10
    assert page.get_by_text("/api/twins/").first.is_visible()
    screenshot(page, "api-docs-swagger")
    assert not [url for url in external if not url.startswith("data:")], external
