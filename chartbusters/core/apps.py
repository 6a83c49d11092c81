from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chartbusters.core"
    label = "core"
    verbose_name = "Core"
