"""Host → tenant routing without a SQL statement per request.

django-tenants looks the request's host up in the public schema's domain table on every request.
The answer changes only when a domain or a tenant row changes, so it is kept in Django's cache
(Redis when REDIS_URL is set, shared by every worker; process memory otherwise), keyed by host name:

- a save or delete of a domain or tenant row forgets the host names involved, at once and again when
  its transaction commits (a request routed in between must not cache the old answer for long);
- every entry also expires after ROUTE_TTL_SECONDS, the bound on staleness for changes that bypass
  the ORM (raw SQL, another database client) or a process-local cache of another worker.

Only hosts that exist are cached: an unknown host costs its query every time, so guessed host names
cannot fill the cache. Plain Django; imports no app (the models are passed in by `config`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

logger = logging.getLogger(__name__)

ROUTE_TTL_SECONDS = 300
_KEY_PREFIX = "tenant-route:"


def _key(hostname: str) -> str:
    return f"{_KEY_PREFIX}{hostname}"


def tenant_for_host(hostname: str, load: Callable[[str], Any]) -> Any:
    """The tenant served at `hostname`: from the cache, or `load(hostname)` (which raises when there
    is none, and then nothing is cached)."""
    try:
        tenant = cache.get(_key(hostname))
    except Exception:  # the cache is an optimisation: routing works without it (and /health reports)
        logger.warning("tenant route cache unavailable; routing %s from the database", hostname, exc_info=True)
        return load(hostname)
    if tenant is None:
        tenant = load(hostname)
        try:
            cache.set(_key(hostname), tenant, ROUTE_TTL_SECONDS)
        except Exception:
            logger.warning("could not cache the tenant route of %s", hostname, exc_info=True)
    return tenant


def forget_hosts(hostnames: Iterable[str]) -> None:
    """Drop the cached routes of `hostnames` now and once the current transaction commits."""
    keys = [_key(hostname.lower()) for hostname in hostnames if hostname]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_routes_on_change(*, tenant_model, domain_model) -> None:
    """Connect the signals that keep cached routes true (called once per process, by `config`)."""

    def domain_renamed(sender, instance, **kwargs):
        if instance.pk is not None:
            # The old name must stop routing as soon as the row says otherwise.
            old = sender.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
            forget_hosts([old] if old else [])

    def domain_changed(sender, instance, **kwargs):
        forget_hosts([instance.domain])

    def tenant_changed(sender, instance, **kwargs):
        forget_hosts(domain_model.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))

    uid = "core.tenant_routes"
    pre_save.connect(domain_renamed, sender=domain_model, weak=False, dispatch_uid=f"{uid}.renamed")
    post_save.connect(domain_changed, sender=domain_model, weak=False, dispatch_uid=f"{uid}.domain_saved")
    post_delete.connect(domain_changed, sender=domain_model, weak=False, dispatch_uid=f"{uid}.domain_deleted")
    post_save.connect(tenant_changed, sender=tenant_model, weak=False, dispatch_uid=f"{uid}.tenant_saved")
    # Deleting a tenant deletes its domains first (cascade), and each of those is forgotten above.
