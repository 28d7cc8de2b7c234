from django.urls import re_path

from core.routers import OptionalSlashRouter
from personas.api import AuditEventListView, PersonaSpecJsonSchemaView, PersonaSpecViewSet

router = OptionalSlashRouter()
router.register(r"twins/(?P<twin_id>[0-9a-fA-F-]{36})/persona-specs", PersonaSpecViewSet, basename="persona-spec")

urlpatterns = [
    re_path(r"^schemas/persona-spec-v1\.json$", PersonaSpecJsonSchemaView.as_view(), name="persona-spec-v1-schema"),
    re_path(r"^twins/(?P<twin_id>[0-9a-fA-F-]{36})/audit-events/?$", AuditEventListView.as_view(),
            name="twin-audit-events"),
    *router.urls,
]
