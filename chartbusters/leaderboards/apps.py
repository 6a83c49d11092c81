from django.apps import AppConfig


class LeaderboardsConfig(AppConfig):
    name = "chartbusters.leaderboards"
    label = "leaderboards"
    verbose_name = "Leaderboards"
