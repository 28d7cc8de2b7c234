"""`check --deploy` warns when the active-spec cache is not shared between workers."""

from __future__ import annotations

from django.core.checks import run_checks
from django.test import override_settings

from personas.checks import shared_cache_check


def test_without_redis_the_deploy_check_warns_that_a_publish_stays_in_its_worker():
    with override_settings(REDIS_URL=""):
        warnings = shared_cache_check(None)
    assert [warning.id for warning in warnings] == ["personas.W001"]
    assert "REDIS_URL" in warnings[0].msg and "worker" in warnings[0].hint
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/0"):
        assert shared_cache_check(None) == []


def test_the_warning_is_registered_for_deploy_checks_only():
    with override_settings(REDIS_URL=""):
        deploy_ids = {message.id for message in run_checks(include_deployment_checks=True)}
        plain_ids = {message.id for message in run_checks()}
    assert "personas.W001" in deploy_ids and "chat.W001" not in deploy_ids
    assert "personas.W001" not in plain_ids
