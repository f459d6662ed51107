"""The frozen electorate (design §3c): opening voting copies the census; a roster import
afterwards changes the census only, never a vote in progress or a published result; a
correction is a committee act with a reason, audited, and shown on results and notices."""

import csv
import io
import json
import os
import re
import zipfile

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.conftest import DATA, post_form, sign_in_staff
from tests.plans.conftest import example, household_id  # noqa: F401
from tests.printing.conftest import pdf_pages, publish_example


@pytest.fixture
def published(app, factory, example):  # noqa: F811
    """The example plan (84 households, voting opened through set_phase) with the 20 example
    paper ballots keyed twice, voting over, and the preliminary result published."""
    return publish_example(app, factory, example, committee=("c1",))


def example_rows() -> list[list[str]]:
    """The example roster (GB18030) as rows, header first."""
    with open(os.path.join(DATA, "roster-example.csv"), "rb") as fh:
        text = fh.read().decode("gb18030")
    return list(csv.reader(io.StringIO(text)))


def changed_roster() -> bytes:
    """The example roster with new areas for 1号楼, every 2号楼 flat given to one owner (a
    housing office), and one new household: the census changes in area, owners and size."""
    header, *rows = example_rows()
    out = [header]
    for row in rows:
        building = row[0]
        if building == "1号楼":
            row[4] = "123.45"
        elif building == "2号楼":
            row[6] = "110101195001011234"
        out.append(row)
    out.append(["1号楼", "1单元", "9901", "9", "88", "新住户", "", ""])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(out)
    return buffer.getvalue().encode("utf-8")


def without_chain_head(text: str) -> str:
    """A notice's text without its audit-chain footer, which rightly names the chain's head at
    printing time (every audited write, the import included, moves it)."""
    return re.sub(r"记录链核验码.*?完整\s*核\s*验\s*码\s*。", "", text, flags=re.S)


def notice_text(app, pid, kind, tmp_path) -> str:
    """The text of a notice PDF printed now through `flask print notice`, without the head."""
    out = tmp_path / f"{kind}.pdf"
    result = app.test_cli_runner().invoke(
        args=["print", "notice", str(pid), "--kind", kind, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = "".join(pdf_pages(out.read_bytes()))
    assert "记录链核验码" in text
    return without_chain_head(text)


def archive_members(app, pid, tmp_path, name="archive.zip") -> dict[str, bytes]:
    """The archive built now, member path (without the plan folder) → bytes."""
    from app.plans.models import Plan
    from app.reports.archive.build import build_archive

    path = tmp_path / name
    with app.test_request_context():
        build_archive(db.session.get(Plan, pid), path)
    with zipfile.ZipFile(path) as archive:
        return {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist()}


def table_rows(csv_data: bytes) -> str:
    """An export CSV without its heading (which names the export time)."""
    return csv_data.decode("utf-8-sig").split("\r\n\r\n", 1)[1]


def tally_json(app, pid) -> dict:
    """The tally document as `flask tally PLAN --json` prints it (without its print time)."""
    result = app.test_cli_runner().invoke(args=["tally", str(pid), "--json"])
    assert result.exit_code == 0, result.output
    return counted(result.output)


def counted(document: str | bytes) -> dict:
    """A tally document without the time it was generated."""
    decoded = json.loads(document)
    decoded.pop("generated_at")
    return decoded


def census(app, cid) -> tuple:
    """Households, total area (centi-m²) and distinct owner keys of the live census."""
    from app.communities.models import Household

    with app.app_context():
        return db.session.execute(
            select(
                func.count(Household.id),
                func.sum(Household.area_centi),
                func.count(func.distinct(Household.owner_key)),
            ).where(Household.community_id == cid)
        ).one()


def test_roster_import_after_publication_changes_neither_result_nor_notice_nor_archive(
    app, published, tmp_path
):
    cid, pid = published
    tally_before = tally_json(app, pid)
    notice_before = notice_text(app, pid, "preliminary", tmp_path)
    sheet_before = notice_text(app, pid, "sheet", tmp_path)
    archive_before = archive_members(app, pid, tmp_path, "before.zip")
    census_before = census(app, cid)

    result = app.test_cli_runner().invoke(
        args=["roster", "import", "滨城区示例小区", str(_write(tmp_path, changed_roster()))]
    )
    assert result.exit_code == 0, result.output
    assert f"plan {pid}: electorate frozen when voting opened" in result.output

    census_after = census(app, cid)  # the census really moved: areas, owners, one more flat
    assert census_after[0] == census_before[0] + 1
    assert census_after[1] != census_before[1] and census_after[2] != census_before[2]

    assert tally_json(app, pid) == tally_before
    assert notice_text(app, pid, "preliminary", tmp_path) == notice_before
    assert notice_text(app, pid, "sheet", tmp_path) == sheet_before
    archive_after = archive_members(app, pid, tmp_path, "after.zip")
    assert counted(archive_after["tally.json"]) == counted(archive_before["tally.json"])
    assert counted(archive_after["tally.json"]) == tally_before
    assert archive_after["electorate.json"] == archive_before["electorate.json"]
    for name in ("notices/preliminary-notice.pdf", "notices/tally-sheet.pdf"):
        after = [without_chain_head(page) for page in pdf_pages(archive_after[name])]
        before = [without_chain_head(page) for page in pdf_pages(archive_before[name])]
        assert after == before, name
    for name in ("exports/tally.csv", "exports/turnout.csv"):
        assert table_rows(archive_after[name]) == table_rows(archive_before[name]), name
    assert archive_after["roster.csv"] != archive_before["roster.csv"]  # the census snapshot
    frozen = json.loads(archive_after["electorate.json"])
    assert len(frozen["households"]) == 84 and frozen["corrections"] == []


def _write(tmp_path, data: bytes):
    path = tmp_path / "roster-changed.csv"
    path.write_bytes(data)
    return path


def test_a_household_added_after_opening_has_no_say_until_the_committee_adds_it(app, published):
    from app.accounts.models import User
    from app.communities.electorate import CorrectionRequest, correct_electorate, snapshot_for
    from app.communities.models import Community, Household
    from app.communities.operations import import_roster_file
    from app.plans.models import Plan
    from app.plans.queries import items_for_household
    from app.tally.listings import non_voters

    cid, pid = published
    with app.test_request_context():
        import_roster_file(db.session.get(Community, cid), changed_roster(), "roster.csv")
        late = db.session.scalar(select(Household).where(Household.room == "9901"))
        plan = db.session.get(Plan, pid)
        assert items_for_household(plan, late) == []
        listed = {m.id for _b, _u, members in non_voters(plan) for m in members}
        assert late.id not in listed and len(listed) == 84 - 20
        committee = db.session.scalar(select(User).where(User.username == "c1"))
        correct_electorate(
            snapshot_for(pid), late, CorrectionRequest("add", "漏登，已核实房产证"), committee
        )
        assert [i.key for i in items_for_household(plan, late)]  # whole-community items at least
        listed = {m.id for _b, _u, members in non_voters(plan) for m in members}
        assert late.id in listed


# --- the roster import's preview -------------------------------------------------------------


def _preview(app, cid, data: bytes) -> str:
    from tests.communities.test_roster_import import upload

    client = app.test_client()
    sign_in_staff(client, "w1")
    response = upload(client, cid, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_import_preview_names_the_published_plan_it_does_not_affect(app, published):
    cid, _pid = published
    page = _preview(app, cid, changed_roster())
    assert 'id="frozen-plans"' in page
    assert "《老旧小区综合改造方案（示例）》" in page or "表决范围已在" in page
    assert "本次导入只更新名册，不改变该方案的表决范围、计票、公示和已公布的结果" in page
    # 1号楼's areas and 2号楼's owners change: all of them are in the frozen electorate
    with app.app_context():
        from app.communities.models import Building, Household

        moved = db.session.scalar(
            select(func.count(Household.id))
            .join(Building, Building.id == Household.building_id)
            .where(Household.community_id == cid, Building.name.in_(("1号楼", "2号楼")))
        )
    assert f"本次更新的 {moved} 户在该方案的表决范围内" in page


def test_import_preview_during_voting_names_the_open_plan(app, factory, example):  # noqa: F811
    cid, _pid = example(phase="voting")
    factory.user("w1", "worker", communities=[cid])
    page = _preview(app, cid, changed_roster())
    assert 'id="frozen-plans"' in page and "开始表决时固定" in page


def test_import_preview_before_voting_says_nothing_of_frozen_plans(app, factory, example):  # noqa: F811
    cid, _pid = example(phase="drafting")
    factory.user("w1", "worker", communities=[cid])
    page = _preview(app, cid, changed_roster())
    assert 'id="frozen-plans"' not in page and "开始表决时固定" not in page


def test_plan_in_drafting_counts_the_census_and_opening_freezes_it(app, factory, example):  # noqa: F811
    """Before opening the live census counts (and shares follow it); after, the snapshot."""
    from app.communities.models import Community
    from app.communities.operations import import_roster_file
    from app.plans.models import Plan
    from app.plans.shares import plan_shares
    from app.plans.workflow import set_phase
    from app.tally.queries import tally_plan

    cid, pid = example(phase="drafting")
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        before = tally_plan(plan).community.electorate
        import_roster_file(db.session.get(Community, cid), changed_roster(), "roster.csv")
        drafted = tally_plan(plan).community.electorate
        assert drafted.households == before.households + 1 and drafted.area != before.area
        set_phase(plan, "voting")
        shares = plan_shares(plan).shares
        import_roster_file(db.session.get(Community, cid), _areas_doubled(), "roster.csv")
        assert tally_plan(plan).community.electorate == drafted
        assert plan_shares(plan).shares == shares


def _areas_doubled() -> bytes:
    header, *rows = list(csv.reader(io.StringIO(changed_roster().decode("utf-8"))))
    for row in rows:
        row[4] = "200"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


# --- corrections ---------------------------------------------------------------------------------


def _electorate_url(cid, pid):
    return f"/c/{cid}/plans/{pid}/electorate"


def _signed_in(app, username):
    client = app.test_client()
    sign_in_staff(client, username)
    return client


def test_only_the_committee_may_correct_and_a_reason_is_required(app, published):
    from app.core.audit import AuditEvent

    cid, pid = published
    url = _electorate_url(cid, pid)
    worker = _signed_in(app, "w1")
    assert worker.get(url).status_code == 200
    assert 'id="correct"' not in worker.get(url).get_data(as_text=True)
    refused = post_form(
        worker, url, {"address": "1号楼1单元101", "kind": "area", "area": "60", "reason": "x"}
    )
    assert refused.status_code == 403
    committee = _signed_in(app, "c1")
    no_reason = post_form(
        committee, url, {"address": "1号楼1单元101", "kind": "area", "area": "60", "reason": ""}
    )
    assert no_reason.status_code == 422
    assert "请说明更正表决范围的原因" in no_reason.get_data(as_text=True)
    blank = post_form(
        committee, url, {"address": "1号楼1单元101", "kind": "area", "area": "60", "reason": "  "}
    )
    assert blank.status_code == 422
    with app.app_context():
        events = select(func.count()).where(AuditEvent.action == "electorate.correct")
        assert db.session.scalar(events) == 0


def test_area_correction_is_audited_counted_and_shown_on_results_and_notices(
    app, published, tmp_path
):
    from app.communities.electorate import corrections, snapshot_for
    from app.core.audit import AuditEvent

    cid, pid = published
    a1_before = next(i for i in tally_json(app, pid)["items"] if i["key"] == "A1")
    committee = _signed_in(app, "c1")
    url = _electorate_url(cid, pid)
    response = post_form(
        committee,
        url,
        {
            "address": "1号楼1单元101",
            "kind": "area",
            "area": "55.10",
            "reason": "房产证面积为 55.10 平方米，名册录入错误",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        (correction,) = corrections(snapshot_for(pid))
        assert correction.kind == "area" and correction.address == "1号楼1单元101"
        assert json.loads(correction.before)["area"] == "50.10"
        assert json.loads(correction.after)["area"] == "55.10"
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "electorate.correct")
        )
        assert json.loads(event.before)["area"] == "50.10"
        after = json.loads(event.after)
        assert after["area"] == "55.10" and after["reason"].startswith("房产证面积")
        assert event.actor and "c1" in event.actor
    document = tally_json(app, pid)
    (listed,) = document["electorate"]["corrections"]
    assert listed["household"] == "1号楼1单元101" and listed["after"]["area"] == "55.10"
    assert document["electorate"]["fixed_at"]
    a1_after = next(i for i in document["items"] if i["key"] == "A1")
    assert a1_after["electorate"]["area"] == pytest.approx(a1_before["electorate"]["area"] + 5)
    assert a1_after["electorate"]["households"] == a1_before["electorate"]["households"]

    page = committee.get(url).get_data(as_text=True)
    assert "面积 50.10 → 55.10 ㎡" in page and "房产证面积为 55.10 平方米" in page
    dashboard = committee.get(f"/c/{cid}/plans/{pid}/results").get_data(as_text=True)
    assert 'id="electorate-corrections"' in dashboard and "1号楼1单元101" in dashboard
    for kind in ("preliminary", "sheet"):
        flat = notice_text(app, pid, kind, tmp_path).replace("\n", "").replace(" ", "")
        assert "更正：本方案的表决范围在开始表决时固定" in flat
        assert "1号楼1单元101：面积由50.10平方米更正为55.10平方米" in flat
        assert "原因：房产证面积为55.10平方米" in flat
    frozen = json.loads(archive_members(app, pid, tmp_path)["electorate.json"])
    (entry,) = frozen["corrections"]
    assert entry["kind"] == "area" and entry["by"] == "c1" and entry["after"]["area"] == "55.10"


def test_owner_add_and_remove_corrections(app, published):
    from app.accounts.models import User
    from app.communities.electorate import (
        CorrectionRequest,
        correct_electorate,
        frozen_household,
        snapshot_for,
    )
    from app.communities.models import Household
    from app.core.errors import DomainError
    from app.plans.models import Plan
    from app.tally.queries import tally_plan

    _cid, pid = published
    h101, h102 = (household_id(app, "1号楼", "1单元", r) for r in ("101", "102"))
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        c1 = db.session.scalar(select(User).where(User.username == "c1"))
        snapshot = snapshot_for(pid)
        first, second = db.session.get(Household, h101), db.session.get(Household, h102)
        owners = tally_plan(plan).community.electorate.owners
        correct_electorate(
            snapshot, first, CorrectionRequest("owner", "同一单位产权", None, second), c1
        )
        assert tally_plan(plan).community.electorate.owners == owners - 1
        with pytest.raises(DomainError):  # already one owner
            correct_electorate(
                snapshot, first, CorrectionRequest("owner", "再次", None, second), c1
            )
        correct_electorate(snapshot, first, CorrectionRequest("owner", "产权已分割"), c1)
        assert tally_plan(plan).community.electorate.owners == owners
        correct_electorate(snapshot, second, CorrectionRequest("remove", "该户为物业用房"), c1)
        assert frozen_household(snapshot, h102) is None
        assert tally_plan(plan).community.electorate.households == 83
        with pytest.raises(DomainError):  # not in the electorate any more
            correct_electorate(snapshot, second, CorrectionRequest("area", "x", area=60), c1)
        with pytest.raises(DomainError):  # an area needs to be given
            correct_electorate(snapshot, first, CorrectionRequest("area", "x"), c1)
        correct_electorate(snapshot, second, CorrectionRequest("add", "误删，恢复"), c1)
        assert tally_plan(plan).community.electorate.households == 84


def test_a_household_added_during_voting_is_told_and_its_ballot_refused(app, factory, example):  # noqa: F811
    from app.communities.models import Community, Household
    from app.communities.operations import import_roster_file
    from app.core.errors import DomainError
    from app.plans.models import Plan
    from app.voting.operations import cast_online_ballot

    cid, pid = example(phase="voting")
    with app.test_request_context():
        import_roster_file(db.session.get(Community, cid), changed_roster(), "roster.csv")
        db.session.commit()
    codes = factory.codes(cid)
    client = app.test_client()
    assert client.get(f"/h/{codes[('1号楼', '1单元', '9901')]}").status_code == 302
    page = client.get("/vote").get_data(as_text=True)
    assert 'id="not-in-electorate"' in page and 'name="csrf_token"' not in page.split("<main")[-1]
    with app.test_request_context():
        late = db.session.scalar(select(Household).where(Household.room == "9901"))
        with pytest.raises(DomainError, match="不在本方案任何项目的表决范围内"):
            cast_online_ballot(db.session.get(Plan, pid), late, {}, set(), "k1")
    neighbour = app.test_client()
    assert neighbour.get(f"/h/{codes[('1号楼', '1单元', '101')]}").status_code == 302
    assert 'id="not-in-electorate"' not in neighbour.get("/vote").get_data(as_text=True)


def test_snapshot_and_corrections_carry_the_digest_of_the_frozen_rows(app, published):
    from app.accounts.models import User
    from app.communities.electorate import (
        CorrectionRequest,
        correct_electorate,
        snapshot_digest,
        snapshot_for,
    )
    from app.communities.models import FrozenHousehold, Household
    from app.core.audit import AuditEvent

    _cid, pid = published
    with app.test_request_context():
        snapshot = snapshot_for(pid)
        taken = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "electorate.snapshot")
        )
        assert json.loads(taken.after)["sha256"] == snapshot_digest(snapshot)
        assert json.loads(taken.after)["households"] == 84
        row = db.session.scalar(select(FrozenHousehold).limit(1))
        row.area_centi += 1  # an edit made straight in the database
        db.session.flush()
        assert snapshot_digest(snapshot) != json.loads(taken.after)["sha256"]
        row.area_centi -= 1
        c1 = db.session.scalar(select(User).where(User.username == "c1"))
        household = db.session.get(Household, row.household_id)
        correct_electorate(snapshot, household, CorrectionRequest("remove", "物业用房"), c1)
        corrected = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "electorate.correct")
        )
        assert json.loads(corrected.after)["sha256"] == snapshot_digest(snapshot)
        assert json.loads(corrected.before)["in_electorate"] is True
        assert json.loads(corrected.after)["in_electorate"] is False
