from django.apps import AppConfig


class ReferencesConfig(AppConfig):
    name = "chartbusters.references"
    label = "references"
    verbose_name = "Host-built judges"
