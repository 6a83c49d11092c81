from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "chartbusters.challenges"
    label = "challenges"
    verbose_name = "Challenges"
