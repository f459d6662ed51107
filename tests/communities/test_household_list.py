"""The households list: natural order, address searches in the ways workers type them, the
sign-in code filter, and pages that keep the search."""

import re

import pytest

from tests.conftest import sign_in_staff

LINK = re.compile(r'<a href="/c/\d+/households/\d+">([^<]+)</a>')


@pytest.fixture
def worker(app, factory):
    """A worker of a community of 3 buildings × 2 units × 6 floors × 2 doors (72 households)."""
    cid = factory.community(buildings=3, units=2, floors=6, per_floor=2)
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    return client, cid


def shown(client, url) -> list[str]:
    """The households a list page shows, as written in their links."""
    return [" ".join(t.split()) for t in LINK.findall(client.get(url).get_data(as_text=True))]


@pytest.mark.parametrize(
    "typed", ["3号楼2单元601", "3-2-601", "3号楼 2单元 601", "３－２－６０１", "3栋2单元601室"]
)
def test_address_search_finds_the_one_household(worker, typed):
    client, cid = worker
    assert shown(client, f"/c/{cid}/households?q={typed}") == ["3号楼 2单元 601"]


def test_search_by_room_owner_and_building(worker):
    client, cid = worker
    assert len(shown(client, f"/c/{cid}/households?q=601")) == 6  # room 601 in every unit
    assert shown(client, f"/c/{cid}/households?q=业主73") == ["3号楼 2单元 602"]
    assert len(shown(client, f"/c/{cid}/households?q=2-1")) == 12  # building 2, unit 1
    assert shown(client, f"/c/{cid}/households?q=9-1-101") == []
    assert shown(client, f"/c/{cid}/households?q=%25") == []  # a wildcard is just a character


def test_code_filter(app, factory, worker):
    client, cid = worker
    assert shown(client, f"/c/{cid}/households?codes=issued") == []
    assert len(shown(client, f"/c/{cid}/households?codes=missing")) == 50
    factory.codes(cid)
    html = client.get(f"/c/{cid}/households?codes=issued").get_data(as_text=True)
    assert "共 72 条" in html
    assert shown(client, f"/c/{cid}/households?codes=missing") == []


def test_pages_keep_search_and_filter_and_end_with_a_last_link(worker):
    client, cid = worker
    html = client.get(f"/c/{cid}/households?q=号楼&codes=missing").get_data(as_text=True)
    assert "第 1 / 2 页，共 72 条" in html
    assert f"/c/{cid}/households?page=2&amp;q=%E5%8F%B7%E6%A5%BC&amp;codes=missing" in html
    plain = client.get(f"/c/{cid}/households").get_data(as_text=True)
    assert f'href="/c/{cid}/households?page=2"' in plain  # no empty q= or codes=
    assert len(shown(client, f"/c/{cid}/households?page=2")) == 22
    assert shown(client, f"/c/{cid}/households?page=abc")[0] == "1号楼 1单元 101"
    assert shown(client, f"/c/{cid}/households?page=99999999999999999999") == []


def test_natural_order_puts_building_2_before_building_10(app, factory):
    cid = factory.community(buildings=11, units=1, floors=1, per_floor=2)
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    names = shown(client, f"/c/{cid}/households")
    assert names[:4] == ["1号楼 1单元 101", "1号楼 1单元 102", "2号楼 1单元 101", "2号楼 1单元 102"]
    assert names[-1] == "11号楼 1单元 102"
