"""Fixed-window throttles for the identity endpoints (log-in, sign-up, password reset).

A counter per (scope, who, window) lives in the cache (Redis in production, shared by
every web process). Each attempt *takes* a slot first, atomically (``incr``), and is
refused once the window's slots are gone, so parallel requests cannot slip past a
check-then-count race. An attempt that turns out harmless (a successful log-in) gives its
slot back. Identities are hashed into the key: no address or username is stored as is.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from chartbusters.env import Rate


@dataclass(frozen=True)
class Slot:
    """One attempt counted against a limit."""

    key: str
    allowed: bool
    retry_after: int  # seconds until the window ends


def take(scope: str, who: str, rate: Rate, *, now: float | None = None) -> Slot:
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    digest = hashlib.sha256(who.encode("utf-8")).hexdigest()[:32]
    key = f"throttle:{scope}:{digest}:{window}"
    retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
    cache.add(key, 0, timeout=retry_after + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: this window is over
        cache.set(key, 1, timeout=rate.seconds)
        count = 1
    return Slot(key=key, allowed=count <= rate.count, retry_after=retry_after)


def give_back(slot: Slot) -> None:
    with contextlib.suppress(ValueError):  # the window is over; nothing to give back
        cache.decr(slot.key)


def client_address(request: HttpRequest) -> str:
    """Who is asking: the peer address, or the one our own proxy appended to
    X-Forwarded-For. IPv6 clients are counted per /64, the block one host usually has."""
    raw = request.META.get("REMOTE_ADDR", "")
    if settings.THROTTLE_CLIENT_FROM_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        raw = forwarded.rsplit(",", 1)[-1].strip() or raw
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def too_many_requests(request: HttpRequest, message: str, retry_after: int) -> HttpResponse:
    minutes = max(1, math.ceil(retry_after / 60))
    body = render_to_string(
        "registration/throttled.html",
        {"message": message, "minutes": minutes},
        request=request,
    )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def refused(*slots: Slot) -> Slot | None:
    """The refused slot that frees up last, if any was refused."""
    over = [slot for slot in slots if not slot.allowed]
    return max(over, key=lambda slot: slot.retry_after) if over else None
