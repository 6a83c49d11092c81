"""What submissions tell the apps above them, without importing them.

``standing_changed`` is sent, inside the transaction that changed them, whenever a
participant's entries in a challenge change in a way that can move them on the board
(an entry scored, disqualified or reinstated). The leaderboards app listens
(``leaderboards.apps``) and updates the board in that same transaction, so the board
changes with the entries or not at all.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with challenge_id and participant_id.
standing_changed = Signal()


def announce_standing_changed(*, challenge_id: int, participant_id: int) -> None:
    standing_changed.send(sender=None, challenge_id=challenge_id, participant_id=participant_id)
