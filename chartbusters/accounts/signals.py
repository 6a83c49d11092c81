"""What accounts tell the apps above them, without importing them.

``public_name_changed`` is sent, inside the transaction that changed it, when a member's
public name (what boards show) changes; the challenges app listens (``challenges.apps``)
and bumps the boards that show the member, so no cached board keeps the old name.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with user_id.
public_name_changed = Signal()
