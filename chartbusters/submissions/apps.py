from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "chartbusters.submissions"
    label = "submissions"
    verbose_name = "Submissions"

    def ready(self) -> None:
        # What /healthz/workers reports as a queue's oldest message where the broker
        # cannot show it (any broker but Redis).
        from chartbusters.core.queues import register_backlog_proxy
        from chartbusters.submissions.selectors import audio_waiting_since, scoring_waiting_since

        register_backlog_proxy("evaluation", scoring_waiting_since)
        register_backlog_proxy("audio", audio_waiting_since)
