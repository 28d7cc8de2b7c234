from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Publish governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registered here, so `personas` runs the approval rule on every publish and shows the approvals
        # on every review page without importing this app.
        from governance import publish_checks, review_panel  # noqa: F401
