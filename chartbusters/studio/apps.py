from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "chartbusters.studio"
    label = "studio"
    verbose_name = "Studio"

    def ready(self) -> None:
        # What /healthz/workers reports as the generation queue's oldest message where
        # the broker cannot show it (any broker but Redis).
        from chartbusters.core.queues import register_backlog_proxy
        from chartbusters.studio.selectors import generation_waiting_since

        register_backlog_proxy("generation", generation_waiting_since)
