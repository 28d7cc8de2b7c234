"""Sign-in throttling (django-axes): a user name is locked from one address after too many wrong
passwords, with the reason on the login page; other names and addresses are unaffected; the lock lifts
after the cool-off or a reset. Counted per schema: each tenant and the public host on their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.factories import make_user

PASSWORD = "pw-for-tests-1"
LOCKED = "Too many failed sign-ins for this user from your address"


def sign_in(host: str, username: str, password: str, address: str = "10.0.0.1", path: str = "/admin/login/"):
    return Client(HTTP_HOST=host, REMOTE_ADDR=address).post(path, {"username": username, "password": password,
                                                                  "next": "/admin/"})


def fail_until_locked(host: str, username: str, address: str = "10.0.0.1", path: str = "/admin/login/"):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(host, username, "wrong-password", address, path)
        assert response.status_code == 200 and LOCKED not in response.content.decode()
    return sign_in(host, username, "wrong-password", address, path)


def test_wrong_passwords_lock_the_user_from_that_address_with_the_reason(acme):
    make_user(acme, "staffer", staff=True)
    locked = fail_until_locked("acme.localhost", "staffer")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert LOCKED in html and "15 minutes" in html and 'id="lockout"' in html
    assert "Persona governance" in html  # the admin's own look
    # Even the right password is refused while locked.
    again = sign_in("acme.localhost", "staffer", PASSWORD)
    assert again.status_code == 429 and "_auth_user_id" not in again.client.session


def test_other_users_and_other_addresses_still_sign_in(acme):
    make_user(acme, "staffer", staff=True)
    make_user(acme, "colleague", staff=True)
    assert fail_until_locked("acme.localhost", "staffer").status_code == 429
    assert sign_in("acme.localhost", "colleague", PASSWORD).status_code == 302  # same address, other user
    assert sign_in("acme.localhost", "staffer", PASSWORD, address="10.0.0.2").status_code == 302  # other address


def test_the_lock_lifts_after_the_cool_off(acme):
    from axes.models import AccessAttempt

    make_user(acme, "staffer", staff=True)
    assert fail_until_locked("acme.localhost", "staffer").status_code == 429
    with schema_context("acme"):
        AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert sign_in("acme.localhost", "staffer", PASSWORD).status_code == 302


def test_an_administrator_lifts_the_lock_with_axes_reset(acme):
    make_user(acme, "staffer", staff=True)
    assert fail_until_locked("acme.localhost", "staffer").status_code == 429
    with schema_context("acme"):
        call_command("axes_reset_username", "staffer", verbosity=0)
    assert sign_in("acme.localhost", "staffer", PASSWORD).status_code == 302


def test_a_lock_in_one_tenant_does_not_lock_the_same_name_elsewhere(acme, globex):
    make_user(acme, "staffer", staff=True)
    make_user(globex, "staffer", staff=True)
    assert fail_until_locked("acme.localhost", "staffer").status_code == 429
    assert sign_in("globex.localhost", "staffer", PASSWORD).status_code == 302
    assert sign_in("localhost", "admin", "demo-password").status_code == 302  # the public host's admin


def test_the_public_hosts_admin_is_throttled_too(db):
    locked = fail_until_locked("localhost", "admin")
    assert locked.status_code == 429 and LOCKED in locked.content.decode()
    assert sign_in("localhost", "admin", "demo-password").status_code == 429
    assert sign_in("localhost", "admin", "demo-password", address="10.0.0.9").status_code == 302


@pytest.mark.parametrize("path", ["/accounts/login/"])
def test_the_chat_pages_sign_in_is_throttled_in_its_own_look(acme, path):
    make_user(acme, "chatter")
    locked = fail_until_locked("acme.localhost", "chatter", path=path)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert LOCKED in html and 'class="topbar"' in html


def test_a_successful_sign_in_resets_the_count(acme):
    make_user(acme, "staffer", staff=True)
    for _round in range(2):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            assert sign_in("acme.localhost", "staffer", "wrong-password").status_code == 200
        assert sign_in("acme.localhost", "staffer", PASSWORD).status_code == 302
