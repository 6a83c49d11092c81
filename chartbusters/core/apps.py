from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chartbusters.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Connect the Celery signals: every published message carries its publish time
        # (queues), every worker beats for the queues it consumes (heartbeat), and a
        # worker's tasks reuse its database connection (worker_connections).
        from chartbusters.core import heartbeat, queues, worker_connections  # noqa: F401
