from typing import Any

from django.apps import AppConfig


class LeaderboardsConfig(AppConfig):
    name = "chartbusters.leaderboards"
    label = "leaderboards"
    verbose_name = "Leaderboards"

    def ready(self) -> None:
        from chartbusters.submissions.signals import standing_changed

        standing_changed.connect(_refresh, dispatch_uid="leaderboards.refresh_participant")


def _refresh(*, challenge_id: int, participant_id: int, **_: Any) -> None:
    """A participant's entries changed: put their best entry on the board (or take them
    off it), in the transaction that changed the entries."""
    from chartbusters.leaderboards.services import leaderboard_refresh_participant

    leaderboard_refresh_participant(challenge_id=challenge_id, participant_id=participant_id)
