"""The keys of cached board reads (``core.pagecache``): a board page is the challenge's
row (with its ``board_version``), the variant asked for and the viewer's class; the board
changes only through what bumps that version, so a key names everything the page shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.http import HttpRequest

from chartbusters.challenges.access import is_host
from chartbusters.challenges.models import Challenge
from chartbusters.core.pagecache import PageKey, page_key


def visibility_class(request: HttpRequest, challenge: Challenge) -> str:
    """Hosts see hidden boards; everyone else sees what the public does. A page made for
    one class is never served to the other (its access was checked before the look-up)."""
    return "host" if is_host(request.user) else "public"


def board_page_key(
    request: HttpRequest,
    challenge: Challenge,
    page: str,
    variant: Iterable[Any],
    viewer: Iterable[Any] = (),
    *,
    timeless: bool = True,
    shared: bool = False,
) -> PageKey:
    seen_as = visibility_class(request, challenge)
    key = page_key(
        request,
        page=page,
        row=challenge,
        variant=[seen_as, *variant],
        viewer=viewer,
        changed=[challenge.board_changed_at, challenge.updated_at],
        timeless=timeless,
        shared=shared,
    )
    # What a host sees may be hidden from others: no shared cache may keep it.
    return replace(key, private=True) if seen_as == "host" else key
