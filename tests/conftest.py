"""Shared fixtures: the test database holds the demo tenants `acme` and `globex`, seeded once.

Each test runs in a transaction that is rolled back (pytest-django's `db`), so the tenants and their
seeded rows are the same at the start of every test. Tests that need committed rows (threads, a live
server) use `committed_db` and clean up what they create.
"""

from __future__ import annotations

import pytest

# Django is imported inside the fixtures so that the plain-Python suites (spec, compiler, intents,
# providers) also run with `-p no:django`.


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    """Create the test database for every session, seeded with the demo tenants.

    Replaces pytest-django's fixture, which creates the test database only when some collected test
    asks for `db`: a session of only `committed_db` tests (threads, browser) would otherwise run
    against the development database.
    """
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from demo.seeding import seed_demo

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=request.config.option.verbose, interactive=False, aliases={"default"})
        assert connection.settings_dict["NAME"].startswith("test_"), "refusing to test on a non-test database"
        seed_demo()
    yield
    with django_db_blocker.unblock():
        # Server and worker threads may still hold persistent connections (CONN_MAX_AGE): end them,
        # or the test database cannot be dropped.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _back_to_public_schema(request):
    """A request or a tenant fixture moves the shared connection to a tenant schema; undo that."""
    yield
    if "django_db_setup" in request.fixturenames:
        from django.core.cache import cache
        from django.db import connection

        from chat.services import stored_fingerprints
        from personas.selectors import clear_local_compiled_cache

        connection.set_schema_to_public()
        # Rolled-back rows must not live on in caches (active-spec pointers, throttle counters).
        cache.clear()
        clear_local_compiled_cache()
        stored_fingerprints.clear()


@pytest.fixture(autouse=True)
def _responses_match_the_openapi_schema(request, monkeypatch):
    """Every API response of the test client is checked against the OpenAPI schema
    (tests/openapi_contract.py); a test about a response the schema cannot describe opts out with
    `@pytest.mark.no_schema_check`."""
    if "django_db_setup" not in request.fixturenames or request.node.get_closest_marker("no_schema_check"):
        return
    from django.test import Client

    from tests.openapi_contract import check_response

    send = Client.request

    def request_and_check(self, **environ):
        response = send(self, **environ)
        check_response(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""), response)
        return response

    monkeypatch.setattr(Client, "request", request_and_check)


@pytest.fixture
def acme(db):
    from config.models import Tenant

    return Tenant.objects.get(schema_name="acme")


@pytest.fixture
def globex(db):
    from config.models import Tenant

    return Tenant.objects.get(schema_name="globex")


@pytest.fixture
def in_acme(acme):
    """Run the test body's ORM calls in acme's schema."""
    from django_tenants.utils import schema_context

    with schema_context("acme"):
        yield acme


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access without the per-test transaction: rows are really committed (threads see them)."""
    from django.db import connection

    assert connection.settings_dict["NAME"].startswith("test_")
    with django_db_blocker.unblock():
        yield
    connection.set_schema_to_public()




# --- a real server and a real browser ------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = __import__("pathlib").Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
def live_server_port(django_db_setup):
    """The project's WSGI app served over real HTTP on 127.0.0.1, for the whole session.

    Not pytest-django's `live_server`: its teardown flushes the public schema, tenants included.
    Tests that use it must see committed rows, so they use `committed_db`.
    """
    import threading

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=True)
    server.set_app(StaticFilesHandler(WSGIHandler()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright; skipped (with the reason) where it is not installed."""
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP *.localhost 127.0.0.1"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "name")` saves test-artifacts/<name>.png and returns its path."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
