"""Addresses as workers type them into a search box (pure parsing)."""

import pytest

from app.communities.search import AddressQuery, parse_address, same_number


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("3号楼2单元301", ("3", "2", "301")),
        ("3-2-301", ("3", "2", "301")),
        ("３－２－３０１", ("3", "2", "301")),  # full-width, as a Chinese keyboard may send
        ("3号楼 2单元 301", ("3", "2", "301")),
        ("3/2/301", ("3", "2", "301")),
        ("3栋301", ("3", None, "301")),
        ("3-301", ("3", None, "301")),
        ("3号楼301室", ("3", None, "301")),
        ("3-2", ("3", "2", None)),
        ("3号楼", ("3", None, None)),
        ("2单元301", (None, "2", "301")),
        ("b3-1201", ("B3", None, "1201")),
    ],
)
def test_addresses_are_read_into_building_unit_room(typed, expected):
    assert parse_address(typed) == AddressQuery(*expected)


@pytest.mark.parametrize("typed", ["", "301", "张三", "1-2-3-4", "3号楼3号楼", "业主12", "A座"])
def test_other_searches_are_not_addresses(typed):
    assert parse_address(typed) is None


def test_names_match_by_their_number():
    assert same_number("3号楼", "3") and same_number("03栋", "3") and same_number("2单元", "2")
    assert same_number("B3座", "B3") and same_number("3", "3")
    assert not same_number("13号楼", "3") and not same_number("3号楼", "30")
    assert not same_number("东区", "3")


def test_households_at_reads_written_and_shorthand_addresses(app, factory):
    from app.communities.queries import households_at

    cid = factory.community(buildings=1, units=2, floors=2)
    with app.app_context():

        def at(text):
            return [(h.building.name, h.unit.name, h.room) for h in households_at(cid, text)]

        assert at("1号楼1单元101") == [("1号楼", "1单元", "101")]
        assert at(" 1号楼 2单元 201 ") == [("1号楼", "2单元", "201")]
        assert at("1-2-201") == [("1号楼", "2单元", "201")]
        assert at("１－１－１０２") == [("1号楼", "1单元", "102")]
        assert len(at("1-101")) == 2  # two units have a 101: not specific enough
        assert at("9-9-999") == [] and at("张三") == [] and at("") == []
