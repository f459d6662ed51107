"""Sign-up lists for the contractor (page, CSV/XLSX, PDF), the tally JSON's opt_in section,
results pages and notices, the district overview's sign-up rate, and the archive's export."""

import io
import json
import os
import subprocess

from openpyxl import load_workbook

from app.extensions import db
from app.formats.writers import read_csv
from tests.conftest import sign_in_staff
from tests.optin.conftest import household_id, optin_plan  # noqa: F401
from tests.optin.test_money import B1, B3, _sign


def _staff(app, factory, cid, role="worker"):
    factory.user("s1", role, communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "s1")
    return client


def test_sign_up_list_page_exports_and_pdf(app, factory, optin_plan, tmp_path):  # noqa: F811
    cid, pid, ids = optin_plan()
    _sign(app, pid, ids, "D2", B3)
    _sign(app, pid, ids, "D1", [B1])
    client = _staff(app, factory, cid)
    base = f"/c/{cid}/plans/{pid}/optin"
    overview = client.get(base).get_data(as_text=True)
    assert "入户电线改造" in overview and "已达最低报名户数，团购价成立" in overview
    page = client.get(f"{base}/{ids['D2']}").get_data(as_text=True)
    assert "3号楼1单元" in page and "3号楼2单元" in page and "101" in page
    # CSV: every household of 3号楼 (36), the three signed up owing their price.
    raw = client.get(f"{base}/{ids['D2']}/export.csv")
    assert raw.status_code == 200
    _heading, labels, rows = read_csv(raw.data)
    assert labels[:6] == ["楼栋", "单元", "房号", "业主", "面积（㎡）", "答复"]
    data, total = rows[:-1], rows[-1]
    assert len(data) == 36
    joined = [r for r in data if r[5] == "参加"]
    assert len(joined) == 3 and all(r[8] == r[7] for r in joined)
    assert total[-1] == f"{sum(float(r[8]) for r in joined):.2f}"
    workbook = load_workbook(io.BytesIO(client.get(f"{base}/export.xlsx").data))
    assert workbook.worksheets[0].title == "报名情况"
    pdf = client.get(f"{base}/{ids['D2']}/list.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    out = tmp_path / "list.pdf"
    out.write_bytes(pdf.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "户内自选项目报名名单" in text and "小计" in text and "合计" in text
    assert "团购价成立" in text
    if os.environ.get("OPTIN_RENDER_DIR"):
        out.replace(os.path.join(os.environ["OPTIN_RENDER_DIR"], "list.pdf"))
    # Another community's staff get 404; a resident's sign-in is not staff.
    factory.community("别的小区")
    other = factory.community("另一个小区")
    factory.user("x1", "worker", communities=[other])
    stranger = app.test_client()
    sign_in_staff(stranger, "x1")
    assert stranger.get(f"{base}/{ids['D2']}").status_code == 404


def test_tally_json_lists_opt_in_apart(app, factory, optin_plan):  # noqa: F811
    _cid, pid, ids = optin_plan()
    _sign(app, pid, ids, "D2", B3[:2])
    _sign(app, pid, ids, "D2", [("3号楼", "3单元", "101")], "decline")
    result = app.test_cli_runner().invoke(args=["tally", str(pid), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [i["key"] for i in doc["items"]] == ["A1", "A2", "B1", "B2", "C1"]
    d2 = next(o for o in doc["opt_in"] if o["key"] == "D2")
    assert d2["households"] == 36 and d2["signed_up"] == 2 and d2["declined"] == 1
    assert d2["min_uptake"] == 3 and d2["offer_stands"] is False and d2["owed_fen"] == 0
    d1 = next(o for o in doc["opt_in"] if o["key"] == "D1")
    assert d1["offer_stands"] is True and d1["min_uptake"] is None and d1["price_fen"] == 180_000
    summary = app.test_cli_runner().invoke(args=["tally", str(pid)]).output
    assert (
        "D2     lapses     opt-in: signed up 2, declined 1 of 36 households (minimum 3)" in summary
    )


def test_results_page_notice_and_district_show_sign_ups(app, factory, optin_plan, tmp_path):  # noqa: F811
    from datetime import date

    from app.communities.models import Community
    from app.district.queries import community_rows
    from app.formats.pdf import Pen
    from app.plans.models import Plan
    from app.printing.notice_data import notice_data
    from app.printing.notices import draw_notice

    cid, pid, ids = optin_plan()
    _sign(app, pid, ids, "D1", [B1, *B3])
    client = _staff(app, factory, cid)
    page = client.get(f"/c/{cid}/plans/{pid}/results").get_data(as_text=True)
    assert 'id="optin-results"' in page and "4 户 / 范围内 84 户" in page
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        data = notice_data(plan, "sheet")
        assert any("入户电线改造" in line and "参加 4 户" in line for line in data.opt_in)
        out = tmp_path / "sheet.pdf"
        pen = Pen(str(out), title="t")
        draw_notice(pen, data)
        pen.save()
        (row,) = community_rows([db.session.get(Community, cid)], date.today())
        # D1: 84 households, D2: 36 (3号楼); 4 sign-ups of those 120 offers.
        assert (row.optin_items, row.optin_in_scope, row.optin_signed_up) == (2, 120, 4)
        assert row.items_total == 5
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "户内自选项目（不表决、不计票" in text
    if os.environ.get("OPTIN_RENDER_DIR"):
        out.replace(os.path.join(os.environ["OPTIN_RENDER_DIR"], "sheet.pdf"))


def test_export_registry_and_archive_carry_the_sign_ups(app, factory, optin_plan):  # noqa: F811
    cid, pid, ids = optin_plan()
    _sign(app, pid, ids, "D1", [B1])
    client = _staff(app, factory, cid)
    response = client.get(f"/c/{cid}/plans/{pid}/exports/signups.csv")
    assert response.status_code == 200
    _heading, labels, rows = read_csv(response.data)
    assert labels[0] == "项目编号"
    assert sum(1 for r in rows if r[0] == "D1" and r[6] == "参加") == 1
