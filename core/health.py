from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def health(request):
    """Liveness and database reachability, for load balancers and humans alike."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = {"reachable": True, "vendor": connection.vendor, "server_version": connection.pg_version}
    except DatabaseError as exc:
        database = {"reachable": False, "error": exc.__class__.__name__}
    healthy = database["reachable"]
    body = {"status": "ok" if healthy else "unavailable", "version": settings.PRODUCT_VERSION, "database": database}
    return JsonResponse(body, status=200 if healthy else 503)
