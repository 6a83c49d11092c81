"""The identity migration on a database that already has accounts: they stay confirmed,
and addresses shared by several accounts (possible before emails were unique) are kept,
tagged, rather than dropped or blocking the migration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0001_initial")]
AFTER = [("accounts", "0002_identity")]


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_identity() -> Iterator[Any]:
    """The database as it was before the migration; put back to the latest after."""
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_existing_accounts_stay_confirmed_and_shared_addresses_are_tagged(
    before_identity: Any,
) -> None:
    old_user = before_identity.get_model("accounts", "User")
    first = old_user.objects.create(username="first", email="Same@Example.com", password="!")
    second = old_user.objects.create(username="second", email="same@example.com", password="!")
    lone = old_user.objects.create(username="lone", email="lone@example.com", password="!")
    old_user.objects.create(username="blank1", email="", password="!")
    old_user.objects.create(username="blank2", email="", password="!")

    new_user = migrate(AFTER).get_model("accounts", "User")
    rows = {u.username: (u.email, u.email_verified) for u in new_user.objects.all()}
    assert rows[first.username] == ("Same@Example.com", True)
    assert rows[second.username] == (f"same+duplicate-{second.pk}@example.com", False)
    assert rows[lone.username] == ("lone@example.com", True)
    assert rows["blank1"] == rows["blank2"] == ("", True)
