"""Load demo content: users for every role, an open and a finished challenge, entries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chartbusters.accounts.models import Role, User
from chartbusters.accounts.services import user_create, user_set_role
from chartbusters.challenges.demo import load_demo_challenges

DEMO_PASSWORD = "chartbusters-demo"  # noqa: S105 - printed on purpose, demo only
DEMO_USERS = [
    ("admin", Role.HOST, True),
    ("host", Role.HOST, False),
    ("judge", Role.JUDGE, False),
    ("alice", Role.PARTICIPANT, False),
    ("bob", Role.PARTICIPANT, False),
]


class Command(BaseCommand):
    help = (
        "Create demo users (password: chartbusters-demo), an open and a finished challenge "
        "with scored entries. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for username, role, superuser in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    username=username,
                    email=f"{username}@example.com",
                    password=DEMO_PASSWORD,
                    role=role,
                )
            if superuser and not user.is_superuser:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
            user_set_role(user=user, role=role)
        names = ", ".join(name for name, _, _ in DEMO_USERS)
        self.stdout.write(f"Demo users: {names} (password {DEMO_PASSWORD}).")
        users = {
            user.username: user
            for user in User.objects.filter(username__in=["host", "judge", "alice", "bob"])
        }
        report = load_demo_challenges(
            host=users["host"], judge=users["judge"], participants=[users["alice"], users["bob"]]
        )
        for line in report.lines:
            self.stdout.write(line)
