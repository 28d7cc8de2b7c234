"""Error pages (JSON under /api and /health, a plain page elsewhere; never a traceback) and /favicon.ico."""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from core.exceptions import error_body
from core.middleware import wants_json


def page_not_found(request, exception=None):
    if wants_json(request):
        return JsonResponse(error_body("Not found."), status=404)
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    """403: JSON for API clients, the admin's own layout under /admin/, the plain page elsewhere."""
    if wants_json(request):
        return JsonResponse(error_body("You do not have permission to perform this action."), status=403)
    if request.path.startswith("/admin/"):
        from django.contrib import admin

        return render(request, "admin/403.html", {**admin.site.each_context(request), "title": "Access denied"},
                      status=403)
    return render(request, "errors/403.html", status=403)


def server_error(request):
    if wants_json(request):
        return JsonResponse(error_body("Internal server error."), status=500)
    return render(request, "errors/500.html", status=500)


def favicon(request):
    """Browsers ask for /favicon.ico whatever the pages link: send them to the static SVG. A temporary
    redirect, since the static name changes with its content in production (hashed names)."""
    return redirect(static("favicon.svg"))
