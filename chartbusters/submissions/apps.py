from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "chartbusters.submissions"
    label = "submissions"
    verbose_name = "Submissions"
