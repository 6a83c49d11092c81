from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "chartbusters.studio"
    label = "studio"
    verbose_name = "Studio"
