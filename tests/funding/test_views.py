"""The funding pages through the web: forms, uploads, payments, downloads, permissions, tenancy."""

import io
import json
import re

import openpyxl
import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.funding.models import Payment
from app.plans.models import HouseholdShare, Item
from tests.conftest import csrf_from, post_form, sign_in_staff
from tests.funding.conftest import build_world


@pytest.fixture
def site(app, factory):
    """Community 幸福小区 (plan still in proposals), a foreign 远方小区, and staff of 幸福小区."""
    home = build_world(app)
    away = build_world(app, name="远方小区", district="远区")
    factory.user("worker", "worker", communities=[home.community_id])
    factory.user("committee", "committee", communities=[home.community_id])
    factory.user("district", "district", district="滨城区")
    with app.app_context():
        ids = {
            "home": home,
            "away": away,
            "items": {
                i.key: i.id for i in db.session.scalars(select(Item)) if i.plan_id == home.plan_id
            },
            "away_items": {
                i.key: i.id for i in db.session.scalars(select(Item)) if i.plan_id == away.plan_id
            },
            "household": home.household("3号楼2单元602").id,
            "away_household": away.household("3号楼2单元602").id,
            "building": home.building_id("3号楼"),
            "away_building": away.building_id("3号楼"),
        }
    return ids


def base(site, which="home"):
    w = site[which]
    return f"/c/{w.community_id}/plans/{w.plan_id}"


def funding_form(**overrides):
    data = {
        "cost": "650000",
        "amount_government": "200000",
        "note_government": "",
        "share_method": "floor",
        "coef_1": "0",
        "coef_2": "0",
        "coef_3": "1",
        "coef_4": "1.2",
        "coef_5": "1.4",
        "coef_6": "1.6",
    }
    data.update(overrides)
    return data


def test_menu_dashboard_and_item_page(app, client, site):
    sign_in_staff(client, "worker")
    cid = site["home"].community_id
    assert client.get(f"/c/{cid}/").get_data(as_text=True).count(f'href="/c/{cid}/funding"') == 1
    response = client.get(f"/c/{cid}/funding")
    assert response.status_code == 302 and response.location.endswith(f"{base(site)}/funding")
    html = client.get(f"{base(site)}/funding").get_data(as_text=True)
    assert "资金总览" in html and "450,000.00" in html and "3号楼2单元加装电梯" in html
    page = client.get(f"{base(site)}/items/{site['items']['B1']}/funding").get_data(as_text=True)
    assert "650,000.00 元" in page and "1、2 层免缴" in page
    assert 'name="coef_6" value="1.6"' in page
    assert "79,120.88" in page  # 602's share, in the per-household list


def test_funding_form_saves_and_refuses_bad_input(app, client, site):
    sign_in_staff(client, "worker")
    url = f"{base(site)}/items/{site['items']['B1']}/funding"
    data = funding_form(
        cost="700,000",
        amount_government="250000",
        note_government="含以奖代补 50 万元",
        coef_3="1.0",
    )
    response = post_form(client, url, data)
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(Item, site["items"]["B1"])
        assert item.cost_fen == 70_000_000
        assert [(f.source, f.amount_fen, f.note) for f in item.funding] == [
            ("government", 25_000_000, "含以奖代补 50 万元")
        ]
    for bad, message in [
        ({"cost": "abc"}, "不是金额"),
        ({"cost": "1.234"}, "两位小数"),
        ({"amount_government": "800000"}, "超过项目造价"),
        ({"coef_6": ""}, "楼层系数表缺少第 6 层"),
        ({"coef_2": "-1"}, "不能为负数"),
        ({"residents_check": "1"}, "相差"),
    ]:
        response = post_form(client, url, funding_form(**bad), form_page=url)
        assert response.status_code == 422, bad
        assert message in response.get_data(as_text=True), bad
    with app.app_context():
        assert db.session.get(Item, site["items"]["B1"]).cost_fen == 70_000_000


def test_funding_locked_during_voting_unless_paused(app, client, site):
    from app.plans.models import Plan
    from app.plans.workflow import set_phase

    with app.test_request_context():
        set_phase(db.session.get(Plan, site["home"].plan_id), "voting")
        db.session.commit()
    sign_in_staff(client, "worker")
    url = f"{base(site)}/items/{site['items']['B1']}/funding"
    page = client.get(url).get_data(as_text=True)
    assert "表决开始后，资金安排不能直接修改" in page
    response = post_form(client, url, funding_form(cost="1"), form_page="/staff/signin")
    assert response.status_code == 422 and "暂停表决" in response.get_data(as_text=True)


def test_custom_upload_through_the_web(app, client, site):
    sign_in_staff(client, "worker")
    url = f"{base(site)}/items/{site['items']['A2']}/funding"
    assert post_form(client, url, {"cost": "1000", "share_method": "custom"}).status_code == 302
    template = client.get(url + "/custom-template.xlsx")
    assert template.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(template.data)).active
    assert [c.value for c in sheet[1]] == ["楼栋", "单元", "房号", "业主", "楼层", "面积", "金额"]
    assert sheet.max_row == 7
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    body = "\n".join(",".join(str(v or "") for v in r[:6]) + ",166.66" for r in rows[1:])
    csv = ("楼栋,单元,房号,业主,楼层,面积,金额\n" + body).encode()
    response = post_form(
        client,
        url + "/custom",
        {"file": (io.BytesIO(csv), "a.csv")},
        form_page=url,
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "没有导入任何金额" in html and "还差 0.04 元" in html
    fixed = csv.replace(b"166.66\n", b"166.67\n", 4)  # 4 × 166.67 + 2 × 166.66 = 1,000.00
    response = post_form(
        client,
        url + "/custom",
        {"file": (io.BytesIO(fixed), "a.csv")},
        form_page=url,
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        amounts = db.session.scalars(
            select(HouseholdShare.amount_fen).where(HouseholdShare.item_id == site["items"]["A2"])
        ).all()
        assert sorted(amounts) == [16_666, 16_666, 16_667, 16_667, 16_667, 16_667]


def _into_voting(app, site):
    from app.plans.models import Plan
    from app.plans.workflow import set_phase

    with app.test_request_context():
        set_phase(db.session.get(Plan, site["home"].plan_id), "voting")
        db.session.commit()


def test_payment_desk_statement_and_reports(app, client, site):
    _into_voting(app, site)
    sign_in_staff(client, "worker")
    hid = site["household"]
    page_url = f"{base(site)}/households/{hid}/funding"
    search = client.get(f"{base(site)}/payments?q=602").get_data(as_text=True)
    assert page_url in search
    form = {
        "item_id": site["items"]["B1"],
        "amount": "1000",
        "paid_on": "2026-01-02",
        "method": "cash",
        "receipt_no": "SJ-1",
    }
    response = post_form(
        client, f"{base(site)}/households/{hid}/payments", form, form_page=page_url
    )
    assert response.status_code == 302
    form.update(amount="999999", receipt_no="SJ-2")
    response = post_form(
        client, f"{base(site)}/households/{hid}/payments", form, form_page=page_url
    )
    assert response.status_code == 422 and "超出应缴金额" in response.get_data(as_text=True)
    html = client.get(page_url).get_data(as_text=True)
    assert "SJ-1" in html and "78,120.88" in html  # B1 still to pay
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
    correct_url = f"{base(site)}/payments/{payment_id}/correct"
    response = post_form(
        client,
        correct_url,
        {
            "action": "replace",
            "reason": "金额录错",
            "amount": "1200",
            "paid_on": "2026-01-02",
            "method": "cash",
            "receipt_no": "SJ-1",
        },
    )
    assert response.status_code == 302
    html = client.get(page_url).get_data(as_text=True)
    assert f"冲正第 {payment_id} 号记录：金额录错" in html and "77,920.88" in html
    assert "这笔记录已经更正过" in client.get(correct_url).get_data(as_text=True)
    pdf = client.get(f"{base(site)}/households/{hid}/statement.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("inline; ")
    assert "UTF-8''" in pdf.headers["Content-Disposition"]
    assert pdf.data.startswith(b"%PDF")
    item_report = client.get(f"{base(site)}/items/{site['items']['B1']}/funding/report")
    assert item_report.status_code == 200 and "1,200.00" in item_report.get_data(as_text=True)
    xlsx = client.get(f"{base(site)}/items/{site['items']['B1']}/funding/report.xlsx")
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    # The plan, the time and the exporter head the sheet; the table's header row is frozen.
    heading = [row[:2] for row in sheet.iter_rows(max_row=5, values_only=True)]
    assert heading[1][0] == "小区" and heading[2][0] == "方案" and heading[4][0] == "导出人"
    assert heading[3][0] == "导出时间" and heading[3][1].startswith("20")
    assert sheet.freeze_panes == "A8" and sheet["A7"].value == "楼栋"
    with app.app_context():
        exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export"))
        assert json.loads(exported.all()[-1].after)["format"] == "xlsx"
    summary = client.get(f"{base(site)}/funding/buildings").get_data(as_text=True)
    assert "各楼栋出资汇总" in summary and f"/funding/buildings/{site['building']}" in summary
    detail = client.get(f"{base(site)}/funding/buildings/{site['building']}")
    assert "3号楼 出资明细" in detail.get_data(as_text=True)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"{base(site)}/funding/buildings.xlsx").data)
    )
    assert book.sheetnames == ["楼栋汇总", "1号楼", "3号楼"]
    one = client.get(f"{base(site)}/funding/buildings/{site['building']}.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(one.data)).sheetnames == ["3号楼"]


@pytest.mark.parametrize(
    ("role", "path", "method", "expected"),
    [
        ("committee", "/funding", "GET", 200),
        ("committee", "/items/{B1}/funding", "POST", 403),
        ("committee", "/households/{hid}/payments", "POST", 403),
        ("committee", "/households/{hid}/funding", "GET", 200),
        ("committee", "/funding/buildings", "GET", 200),
        ("district", "/funding", "GET", 200),
        ("district", "/items/{B1}/funding", "GET", 200),
        ("district", "/households/{hid}/funding", "GET", 403),
        ("district", "/households/{hid}/statement.pdf", "GET", 403),
        ("district", "/funding/buildings", "GET", 403),
        ("district", "/items/{B1}/funding/custom-template.xlsx", "GET", 403),
    ],
)
def test_permissions(app, client, site, role, path, method, expected):
    sign_in_staff(client, role)
    url = base(site) + path.format(B1=site["items"]["B1"], hid=site["household"])
    if method == "GET":
        status = client.get(url).status_code
    else:
        status = client.post(
            url, data={"csrf_token": csrf_from(client, "/staff/signin")}
        ).status_code
    assert status == expected


def test_district_sees_no_household_names_on_the_item_page(app, client, site):
    sign_in_staff(client, "district")
    html = client.get(f"{base(site)}/items/{site['items']['B1']}/funding").get_data(as_text=True)
    assert "3号楼2单元602" not in html and "650,000.00" in html


def test_every_funding_route_answers_404_for_another_community(app, client, site):
    """Foreign ids in a foreign path, and foreign record ids under the worker's own path."""
    _into_voting(app, site)
    with app.test_request_context():
        from app.communities.models import Household
        from app.funding.payments import record_payment
        from app.plans.models import Plan
        from app.plans.queries import local_today
        from app.plans.workflow import set_phase

        away = db.session.get(Plan, site["away"].plan_id)
        set_phase(away, "voting")
        payment = record_payment(
            away,
            db.session.get(Household, site["away_household"]),
            db.session.get(Item, site["away_items"]["B1"]),
            amount_fen=100,
            paid_on=local_today(),
            method="cash",
            receipt_no="F-1",
        )
        db.session.commit()
        foreign_payment = payment.id
    sign_in_staff(client, "worker")
    token = csrf_from(client, "/staff/signin")
    home, away = site["home"], site["away"]
    own = {
        "community_id": home.community_id,
        "plan_id": home.plan_id,
        "item_id": site["items"]["B1"],
        "household_id": site["household"],
        "building_id": site["building"],
        "payment_id": 0,
    }
    foreign = {
        "community_id": away.community_id,
        "plan_id": away.plan_id,
        "item_id": site["away_items"]["B1"],
        "household_id": site["away_household"],
        "building_id": site["away_building"],
        "payment_id": foreign_payment,
    }
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("funding.")]
    assert len(rules) >= 17
    checked = 0
    for rule in rules:
        variants = [foreign]
        for name in rule.arguments - {"community_id"}:
            variants.append({**own, name: foreign[name]})  # one foreign id under my own path
        for values in variants:
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: str(v[m.group(1)]), rule.rule)
            if "GET" in rule.methods:
                status = client.get(url).status_code
            else:
                status = client.post(url, data={"csrf_token": token}).status_code
            assert status == 404, (rule.endpoint, url, status)
            checked += 1
    assert checked >= 30


def test_breakdown_macro_renders_on_its_own(app, world):
    """The macro the resident draft page includes needs nothing but a Breakdown."""
    from flask import render_template_string

    from app.plans.shares import plan_breakdowns

    source = (
        '{% from "funding/_breakdown.html" import funding_breakdown %}'
        "{{ funding_breakdown(b, share_fen=share, show_share=true) }}"
    )
    with app.test_request_context():
        plan = world.plan
        b1 = world.item("B1")
        b = plan_breakdowns(plan)[b1.id]
        html = render_template_string(source, b=b, share=None)
        assert "650,000.00 元" in html and "− 200,000.00 元" in html
        assert "450,000.00 元" in html and "1、2 层免缴" in html and "× 1.6" in html
        assert "待定" in html
        assert "79,120.88" in render_template_string(source, b=b, share=7_912_088)


@pytest.mark.parametrize("role", ["admin", "district", "worker", "committee"])
def test_role_route_matrix(app, factory, site, role):
    """Each role reaches exactly the funding routes the permission matrix written out in
    tests/core/test_permissions.py grants."""
    from tests.core.test_permissions import EXPECTED_PERMISSIONS

    _into_voting(app, site)
    with app.test_request_context():
        from app.communities.models import Household
        from app.funding.payments import record_payment
        from app.plans.queries import local_today

        home = site["home"]
        payment = record_payment(
            home.plan,
            db.session.get(Household, site["household"]),
            db.session.get(Item, site["items"]["B1"]),
            amount_fen=100,
            paid_on=local_today(),
            method="cash",
            receipt_no="M-1",
        )
        db.session.commit()
        values = {
            "community_id": home.community_id,
            "plan_id": home.plan_id,
            "item_id": site["items"]["B1"],
            "household_id": site["household"],
            "building_id": site["building"],
            "payment_id": payment.id,
        }
    if role == "admin":
        factory.user("admin", "admin")
    client = app.test_client()
    sign_in_staff(client, role)
    token = csrf_from(client, "/staff/signin")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("funding."):
            continue
        permission = app.view_functions[rule.endpoint].permission
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)
        if "GET" in rule.methods:
            status = client.get(url).status_code
        else:
            status = client.post(url, data={"csrf_token": token}).status_code
        if role in EXPECTED_PERMISSIONS[permission]:
            assert status not in (403, 404, 500), (role, rule.endpoint, status)
        else:
            assert status == 403, (role, rule.endpoint, status)
