from django.apps import AppConfig


class JudgingConfig(AppConfig):
    name = "chartbusters.judging"
    label = "judging"
    verbose_name = "Judging"
