from core.routers import OptionalSlashRouter
from twins.api import MemoryViewSet, TwinViewSet

router = OptionalSlashRouter()
router.register("twins", TwinViewSet, basename="twin")
router.register(r"twins/(?P<twin_id>[0-9a-fA-F-]{36})/memories", MemoryViewSet, basename="twin-memory")

urlpatterns = router.urls
