from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from chat import checks  # noqa: F401  (registers the system checks)
        from chat.review_panels import USAGE_PANEL
        from personas.review_panels import register_review_panel

        register_review_panel(USAGE_PANEL)
