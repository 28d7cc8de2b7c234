"""URLs of a tenant host (acme.localhost): admin, API, API docs, chat pages."""

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config.views import favicon
from core.health import health

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

admin.site.site_header = "Persona governance"
admin.site.site_title = "Persona governance"

api_patterns = [
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline script (CSP).
    re_path(r"^docs/?$", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # ReDoc's sidebar always shows Redocly's logo from their CDN (hidden when it does not load):
    # the one image this page may fetch from elsewhere.
    re_path(r"^redoc/?$", csp_update({"img-src": [REDOC_LOGO]})(SpectacularRedocView.as_view(url_name="api-schema")),
            name="api-redoc"),
    path("", include("twins.urls")),
    path("", include("personas.urls")),
    path("", include("governance.urls")),
    path("", include("chat.urls")),
    path("", include("evaluations.urls")),
]

urlpatterns = [
    path("health", health, name="health"),
    path("favicon.ico", favicon),
    path("health/", health),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("chat.page_urls")),
]

handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
