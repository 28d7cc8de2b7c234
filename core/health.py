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
    if healthy:
        body["worker"] = _task_queue()
    return JsonResponse(body, status=200 if healthy else 503)


# A worker beats every few seconds (procrastinate's heartbeat); older than this, it is taken for dead.
WORKER_ALIVE_SECONDS = 30


def _task_queue() -> dict:
    """Whether a background worker is alive and how many jobs wait (procrastinate's tables, public schema).

    Reported, not judged: the service answers without a worker; evaluation runs wait for one.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM public.procrastinate_workers "
                "        WHERE last_heartbeat > now() - make_interval(secs => %s)), "
                "       (SELECT count(*) FROM public.procrastinate_jobs WHERE status = 'todo'), "
                "       (SELECT count(*) FROM public.procrastinate_jobs WHERE status = 'doing')",
                [WORKER_ALIVE_SECONDS],
            )
            alive, queued, running = cursor.fetchone()
    except DatabaseError as exc:  # the queue's tables are not migrated yet
        return {"alive": False, "error": exc.__class__.__name__}
    return {"alive": alive > 0, "workers": alive, "queue_depth": queued, "running": running}
