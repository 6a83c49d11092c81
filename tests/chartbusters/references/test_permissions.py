"""Reference sets are private to hosts: participants and judges, staff or not, reach no
set, piece or build, in the admin or anywhere else."""

from __future__ import annotations

import pytest
from django.test import Client

from chartbusters.accounts.models import User
from chartbusters.references.builds import judge_build_start
from chartbusters.references.services import reference_set_add_files
from tests.chartbusters.builders import piece
from tests.chartbusters.hardening.routes import url_names
from tests.chartbusters.references.helpers import make_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(host: User) -> dict[str, int]:
    carols = make_set(host, description="Our secret carol arrangements")
    reference_set_add_files(reference_set=carols, files=[("secret-carol.mid", piece(1))])
    build = judge_build_start(reference_set=carols, by=host)
    return {"set": carols.pk, "build": build.pk}


def pages(world: dict[str, int]) -> list[str]:
    return [
        "/admin/references/",
        "/admin/references/referenceset/",
        "/admin/references/referenceset/add/",
        f"/admin/references/referenceset/{world['set']}/change/",
        "/admin/references/judgebuild/",
        f"/admin/references/judgebuild/{world['build']}/change/",
    ]


@pytest.mark.parametrize("who", ["alice", "judge"])
@pytest.mark.parametrize("staff", [False, True])
def test_participants_and_judges_reach_no_set_or_build(
    client: Client, who: str, staff: bool, world: dict[str, int], request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(who)
    user.is_staff = staff
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    for path in pages(world):
        response = client.get(path)
        assert response.status_code in (302, 403, 404), path
        assert "secret-carol" not in response.content.decode()
    index = client.get("/admin/").content.decode()
    assert "Reference sets" not in index
    assert "Judge builds" not in index


def test_hosts_reach_every_set_and_build(client: Client, host: User, world: dict[str, int]) -> None:
    client.force_login(host)
    for path in pages(world):
        assert client.get(path).status_code == 200, path


def test_no_route_outside_the_admin_serves_reference_sets() -> None:
    assert not [name for name in url_names() if "reference" in name or "judgebuild" in name]


def test_not_even_a_host_deletes_a_judge_version(
    client: Client, host: User, world: dict[str, int]
) -> None:
    client.force_login(host)
    response = client.post(
        f"/admin/references/judgebuild/{world['build']}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
