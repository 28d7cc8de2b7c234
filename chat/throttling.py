from django.conf import settings
from django.db import connection
from rest_framework.throttling import UserRateThrottle


class ChatRateThrottle(UserRateThrottle):
    """Chat turns per user, at CHAT_THROTTLE_RATE (default 60/min).

    The key includes the tenant schema: user ids restart in every tenant, and one tenant's user
    must never spend another tenant's budget.
    """

    scope = "chat"

    def get_rate(self):
        return settings.CHAT_THROTTLE_RATE

    def get_cache_key(self, request, view):
        key = super().get_cache_key(request, view)
        return f"{key}:{connection.schema_name}" if key else None
