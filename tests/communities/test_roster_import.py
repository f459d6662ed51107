"""Roster import through the page and the CLI: preview, all or nothing, re-import by key."""

import io
import os
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from app.communities.models import Building, Household, RosterUpload, Unit
from app.core.audit import AuditEvent
from app.extensions import db
from tests.conftest import DATA, post_form, sign_in_staff

HEADER = "楼栋,单元,房号,面积,业主,证件号\n"


def csv_bytes(lines, header=HEADER, encoding="utf-8"):
    return (header + "".join(line + "\n" for line in lines)).encode(encoding)


def household_count(app, cid=None):
    with app.app_context():
        query = select(func.count(Household.id))
        if cid:
            query = query.where(Household.community_id == cid)
        return db.session.scalar(query)


@pytest.fixture
def worker(app, factory):
    cid = factory.community("导入小区", roster=False)
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    return client, cid


def upload(client, cid, data, filename="roster.csv"):
    url = f"/c/{cid}/roster"
    return post_form(
        client, url, {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def test_example_file_preview_then_import(app, worker):
    client, cid = worker
    with open(os.path.join(DATA, "roster-example.csv"), "rb") as fh:
        response = upload(client, cid, fh.read(), "roster-example.csv")
    assert response.status_code == 302
    assert household_count(app, cid) == 0  # nothing written before confirmation
    preview_url = response.headers["Location"]
    html = client.get(preview_url).get_data(as_text=True)
    assert re.search(r'class="num">84<', html)  # households
    assert "拥有多户的业主" in html and "新增 84 户" in html
    response = post_form(client, preview_url)
    assert response.status_code == 302
    assert household_count(app, cid) == 84
    with app.app_context():
        assert db.session.scalar(select(func.count(Building.id))) == 3
        assert db.session.scalar(select(RosterUpload.imported_at)) is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import"))
        assert event.after_data["created"] == 84 and event.actor == "user:w1"
    # A confirmed upload cannot be imported twice.
    assert client.get(preview_url).status_code == 404


def test_errors_name_row_and_column_and_write_nothing(app, worker):
    client, cid = worker
    data = csv_bytes(
        [
            "1号楼,1单元,101,65.3,张三,",
            "1号楼,1单元,102,abc,李四,",
            "1号楼,1单元,103,-2,王五,",
            "1号楼,1单元,101,70,赵六,",
        ]
    )
    response = upload(client, cid, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 3 行" in html and "面积" in html
    assert "第 4 行" in html and "第 5 行" in html
    assert "没有导入任何数据" in html
    assert household_count(app, cid) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(RosterUpload.id))) == 0


def test_reimport_updates_by_household_key_and_previews_changes(app, worker):
    client, cid = worker
    first = csv_bytes(["1号楼,1单元,101,65.3,张三,", "1号楼,1单元,102,70,李四,"])
    post_form(client, upload(client, cid, first).headers["Location"])
    second = csv_bytes(
        ["1号楼,1单元,101,65.30,张三,", "1号楼,1单元,102,71.5,李四,", "1号楼,1单元,201,80,王五,"]
    )
    preview = upload(client, cid, second).headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "新增 1 户" in html and "更新 1 户" in html and "不变 1 户" in html
    assert "70.00" in html and "71.5" in html
    post_form(client, preview)
    assert household_count(app, cid) == 3
    with app.app_context():
        household = db.session.scalar(select(Household).where(Household.room == "102"))
        assert str(household.area) == "71.50" and household.area_centi == 7150


def test_rows_missing_from_a_reimport_are_kept(app, worker):
    client, cid = worker
    post_form(
        client,
        upload(
            client, cid, csv_bytes(["1号楼,1单元,101,65.3,张三,", "1号楼,1单元,102,70,李四,"])
        ).headers["Location"],
    )
    preview = upload(client, cid, csv_bytes(["1号楼,1单元,101,65.3,张三,"])).headers["Location"]
    assert "不在此文件中" in client.get(preview).get_data(as_text=True)
    post_form(client, preview)
    assert household_count(app, cid) == 2


def test_xlsx_upload(app, worker):
    client, cid = worker
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["room", "owner", "area", "building", "unit"])
    ws.append([301, "Zhang", 65.3, "3", "2"])
    buf = io.BytesIO()
    wb.save(buf)
    response = upload(client, cid, buf.getvalue(), "r.xlsx")
    assert response.status_code == 302
    post_form(client, response.headers["Location"])
    with app.app_context():
        h = db.session.scalar(select(Household))
        assert (h.building.name, h.unit.name, h.room, h.floor, str(h.area)) == (
            "3号楼",
            "2单元",
            "301",
            3,
            "65.30",
        )


def test_owners_grouped_by_id_without_storing_it(app, worker):
    client, cid = worker
    data = csv_bytes(
        [
            "1号楼,1单元,101,60,市房管所,110101199001011234",
            "1号楼,1单元,102,60,市房管所,110101199001011234",
            "1号楼,1单元,201,60,张三,",
        ]
    )
    post_form(client, upload(client, cid, data).headers["Location"])
    with app.app_context():
        keys = db.session.scalars(select(Household.owner_key).order_by(Household.room)).all()
        assert keys[0] == keys[1] and keys[0] and keys[2] is None
        assert "110101199001011234" not in keys[0]
        hints = db.session.scalars(select(Household.owner_id_hint)).all()
        assert "…1234" in hints


def test_ten_thousand_rows_error_in_last_row_changes_nothing(app, factory):
    cid = factory.community("大小区", roster=False)
    lines = [
        f"{b}号楼,{u}单元,{f}{d:02d},60.5,业主{b}{u}{f}{d},"
        for b in range(1, 11)
        for u in range(1, 6)
        for f in range(1, 21)
        for d in range(1, 11)
    ]
    assert len(lines) == 10_000
    bad = [*lines[:-1], "10号楼,5单元,2010,零,最后一户,"]
    path = os.path.join(app.instance_path, "big.csv")
    os.makedirs(app.instance_path, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(csv_bytes(bad, encoding="gb18030"))
    result = app.test_cli_runner().invoke(args=["roster", "import", "大小区", path])
    assert result.exit_code == 1
    assert "第 10001 行" in result.output
    assert household_count(app, cid) == 0
    with open(path, "wb") as fh:
        fh.write(csv_bytes(lines, encoding="gb18030"))
    result = app.test_cli_runner().invoke(args=["roster", "import", "大小区", path])
    assert result.exit_code == 0, result.output
    assert household_count(app, cid) == 10_000
    with app.app_context():
        assert db.session.scalar(select(func.count(Unit.id))) == 50


def test_failure_during_write_rolls_everything_back(app, factory, monkeypatch):
    """All or nothing also when the database write itself fails midway."""
    import app.communities.operations as ops

    cid = factory.community("回滚小区", roster=False)
    path = os.path.join(DATA, "roster-example.csv")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ops, "log_event", boom)
    result = app.test_cli_runner().invoke(args=["roster", "import", "回滚小区", path])
    assert result.exit_code != 0
    assert household_count(app, cid) == 0
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Building.id)).where(Building.community_id == cid))
            == 0
        )


def test_cli_imports_the_gb18030_example(app, factory):
    factory.community("示例", roster=False)
    result = app.test_cli_runner().invoke(
        args=["roster", "import", "示例", os.path.join(DATA, "roster-example.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "84 households: 84 new" in result.output


def office_roster(error_area=None) -> bytes:
    """A roster as a district office sends it: merged title, header on row 2, totals last."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["幸福里社区住户花名册"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "楼栋", "单元", "房号", "建筑面积（㎡）", "业主姓名"])
    ws.append([1, "3号楼", "2单元", "301", 65.3, "张三"])
    ws.append([2, "3号楼", "2单元", "302", error_area or 70, "李四"])
    ws.append(["合计", None, None, None, "=SUM(E3:E4)", None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_office_xlsx_with_title_and_totals_previews_what_it_skips(app, worker):
    client, cid = worker
    response = upload(client, cid, office_roster(), "花名册.xlsx")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第 1 行为标题，已跳过（“幸福里社区住户花名册”）。" in html
    assert "第 5 行为合计行，已跳过。" in html
    assert "新增 2 户" in html
    post_form(client, response.headers["Location"])
    assert household_count(app, cid) == 2
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import"))
        assert event.after_data["skipped_rows"] == [1, 5]


def test_office_xlsx_errors_keep_the_spreadsheet_row_numbers(app, worker):
    client, cid = worker
    response = upload(client, cid, office_roster(error_area="七十"), "花名册.xlsx")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "第 4 行" in html and "第 3 行" not in html.split("已跳过")[0]
    assert "第 1 行为标题，已跳过" in html
    assert household_count(app, cid) == 0


def test_cli_says_which_rows_it_skipped(app, factory, tmp_path):
    factory.community("花名册小区", roster=False)
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(office_roster())
    result = app.test_cli_runner().invoke(args=["roster", "import", "花名册小区", str(path)])
    assert result.exit_code == 0, result.output
    assert "第 1 行为标题，已跳过" in result.output and "第 5 行为合计行，已跳过。" in result.output
    assert "2 households: 2 new" in result.output
