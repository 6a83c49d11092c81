from typing import Any

from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "chartbusters.challenges"
    label = "challenges"
    verbose_name = "Challenges"

    def ready(self) -> None:
        from chartbusters.accounts.signals import public_name_changed

        public_name_changed.connect(_renamed, dispatch_uid="challenges.member_renamed")


def _renamed(*, user_id: int, **_: Any) -> None:
    """A member's public name changed: every board that may show it is out of date."""
    from chartbusters.challenges.models import Challenge
    from chartbusters.challenges.services import challenge_board_changed

    entered = Challenge.objects.filter(submissions__participant_id=user_id).distinct()
    challenge_board_changed(challenge_ids=entered.values_list("pk", flat=True))
