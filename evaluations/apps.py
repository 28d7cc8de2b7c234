from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    """Evaluation suites run through the real chat runtime, and the publish gate on their results.

    Above chat in the layering: it runs the chat runtime. It plugs into personas (a publish check and
    a review panel) without personas knowing it.
    """

    name = "evaluations"
    verbose_name = "Evaluations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from evaluations import gate, panels  # noqa: F401  (register the publish check and the review panel)
