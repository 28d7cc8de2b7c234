"""`check --deploy`: the cache that carries the active-spec pointer must be shared between workers."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def shared_cache_check(app_configs, **kwargs):
    """Without Redis each worker caches the active spec for itself."""
    if settings.REDIS_URL:
        return []
    return [Warning(
        "REDIS_URL is not set: the active-spec cache lives in each process, so with more than one worker "
        "a publish reaches the other workers only when they restart.",
        hint="Set REDIS_URL for any deployment with more than one worker process.",
        id="personas.W001",
    )]
