from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` and the test suite: the top of the house, it may import every app and
    nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
