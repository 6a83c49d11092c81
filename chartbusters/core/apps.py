from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chartbusters.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Connect the Celery signals: every published message carries its publish time
        # (queues), and every worker beats for the queues it consumes (heartbeat).
        from chartbusters.core import heartbeat, queues  # noqa: F401
