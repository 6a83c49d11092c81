from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chartbusters.accounts"
    label = "accounts"
    verbose_name = "Accounts"
