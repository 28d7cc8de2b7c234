"""URLs of the public host (localhost, 127.0.0.1): the tenant registry admin and the health check."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from config.views import favicon
from core.health import health

admin.site.site_header = "Persona governance"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("health", health, name="health"),
    path("favicon.ico", favicon),
    path("health/", health),
    path("admin/", admin.site.urls),
]

handler403 = "config.views.permission_denied"
