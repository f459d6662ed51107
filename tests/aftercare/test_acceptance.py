"""Acceptance (竣工验收): the group, per passed item a checklist and a result, defects and their
rectification, the notice PDF; every write audited in the community's chain."""

import json
from datetime import timedelta

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from tests.conftest import post_form, sign_in_staff
from tests.printing.conftest import pdf_fonts, pdf_pages


def _plan(pid):
    from app.plans.models import Plan

    return db.session.get(Plan, pid)


def test_worker_runs_acceptance_and_prints_the_notice(app, client, accepting, tmp_path):
    from app.aftercare.models import AcceptanceCheck, AcceptanceDefect
    from app.aftercare.queries import passed_items
    from app.plans.queries import local_today

    cid, pid = accepting
    with app.test_request_context():
        items = [(i.id, i.key, i.category) for i in passed_items(_plan(pid))]
    assert items, "the example ballots pass some items"
    item_id = items[0][0]
    sign_in_staff(client, "w1")
    base = f"/c/{cid}/plans/{pid}/acceptance"
    page = client.get(base).get_data(as_text=True)
    assert "验收小组" in page and items[0][1] in page

    # A resident representative by address, then a staff member.
    r = post_form(client, base + "/members", {"kind": "resident", "address": "3-2-601",
                                              "role": "居民代表"}, form_page=base)  # fmt: skip
    assert r.status_code == 302
    r = post_form(client, base + "/members", {"kind": "staff", "name": "王监理", "role": "监理"},
                  form_page=base)  # fmt: skip
    page = client.get(base).get_data(as_text=True)
    assert "王监理" in page and "居民代表" in page

    # The default checklist for its category; "passed" refused while a line is unticked.
    url = f"{base}/items/{item_id}"
    page = client.get(url).get_data(as_text=True)
    assert "竣工资料齐全" in page
    with app.app_context():
        from app.aftercare.checklists import default_checklist

        lines = default_checklist(items[0][2])
    data = {"line": lines, "ok": [str(n) for n in range(len(lines) - 1)], "result": "passed"}
    r = post_form(client, url, data)
    assert r.status_code == 409 and "未通过的项" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AcceptanceCheck)) is None
    # Edited: the last line rewritten, one added; passed with conditions and a defect.
    data = {"line": [*lines[:-1], "现场已清理"], "ok": ["0"], "result": "conditional",
            "new_line": "楼道照明全部可用", "notes": "雨水管一处渗漏"}  # fmt: skip
    assert post_form(client, url, data).status_code == 302
    deadline = local_today_str(app, 10)
    r = post_form(client, url + "/defects", {"description": "3号楼雨水管接口渗漏",
                  "responsible": "某某建设公司", "deadline": deadline}, form_page=url)  # fmt: skip
    assert r.status_code == 302
    with app.app_context():
        check = db.session.scalar(select(AcceptanceCheck))
        assert check.result == "conditional" and check.checked_on == local_today()
        assert "楼道照明全部可用" in check.checklist and "现场已清理" in check.checklist
        defect = db.session.scalar(select(AcceptanceDefect))
        assert defect.status == "open"
    r = post_form(client, f"{base}/defects/{defect.id}/rectify",
                  {"rectification": "已更换接口并试水"}, form_page=url)  # fmt: skip
    assert r.status_code == 302
    response = client.get(base + "/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "acceptance-notice.pdf").write_bytes(response.data)
    text = "".join(pdf_pages(response.data))
    for words in ("竣工验收公示", "有条件通过", "王监理", "3号楼2单元601", "雨水管接口渗漏",
                  "某某建设公司", "已更换接口并试水", "记录链核验码"):  # fmt: skip
        assert words in text, words
    assert all(f["embedded"] for f in pdf_fonts(response.data))
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.community_id == cid, AuditEvent.action.like("acceptance.%")
            )
        ).all()
    assert actions == [
        "acceptance.member_add",
        "acceptance.member_add",
        "acceptance.check",
        "acceptance.defect",
        "acceptance.rectify",
        "acceptance.notice_print",
    ]


def local_today_str(app, days: int) -> str:
    from app.plans.queries import local_today

    with app.app_context():
        return (local_today() + timedelta(days=days)).isoformat()


def test_acceptance_refused_outside_its_phase_and_for_other_roles(app, client, factory, evaluating):
    from app.aftercare.operations import add_member
    from app.core.errors import DomainError

    cid, pid = evaluating
    with app.test_request_context():
        try:
            add_member(_plan(pid), kind="staff", name="某人")
        except DomainError as exc:
            assert "竣工验收" in str(exc)
        else:
            raise AssertionError("acceptance writes are refused once evaluation began")
    factory.user("d1", "district", district="滨城区")
    sign_in_staff(client, "d1")
    r = client.post(f"/c/{cid}/plans/{pid}/acceptance/members", data={"kind": "staff"})
    assert r.status_code in (400, 403, 404)


def test_archive_and_district_carry_acceptance_and_satisfaction(app, client, factory, evaluating):
    import io
    import json
    import zipfile

    from app.aftercare.operations import start_round, submit_phone_response
    from app.communities.models import Household
    from app.reports.archive.build import build_archive
    from app.rules.satisfaction import Scores

    cid, pid = evaluating
    with app.test_request_context():
        plan = _plan(pid)
        round_ = start_round(plan)
        household = db.session.scalar(select(Household).where(Household.community_id == cid))
        submit_phone_response(plan, round_, household, Scores({"content": 4, "process": 2}))
        buf = io.BytesIO()
        build_archive(plan, buf)
        db.session.commit()
    with zipfile.ZipFile(buf) as z:
        names = z.namelist()
        root = names[0].split("/")[0]
        manifest = json.loads(z.read(f"{root}/manifest.json"))
        evaluation = json.loads(z.read(f"{root}/aftercare/evaluation.json"))
    listed = {f["path"] for f in manifest["files"]}
    assert {"aftercare/acceptance.json", "aftercare/acceptance-notice.pdf",
            "aftercare/evaluation.json"} <= listed  # fmt: skip
    assert evaluation["rounds"][0]["averages"] == {"content": "4.0", "process": "2.0",
                                                   "management": "—"}  # fmt: skip
    factory.user("adm", "admin")
    sign_in_staff(client, "adm")
    page = client.get("/district?sort=satisfaction").get_data(as_text=True)
    assert "满意度" in page and "3.0" in page and "待验收" in page
    csv = client.get("/district/overview.csv").get_data(as_text=True)
    assert "评价参与率" in csv and "验收结果" in csv


def test_another_communitys_worker_gets_404(app, client, factory, accepting):
    cid, pid = accepting
    other = factory.community(name="另一小区")
    factory.user("w9", "worker", communities=[other])
    sign_in_staff(client, "w9")
    for url in ("acceptance", "acceptance/notice.pdf", "evaluation"):
        assert client.get(f"/c/{cid}/plans/{pid}/{url}").status_code == 404, url
    # Its own community in the URL with this plan's id: still 404 (the plan is not there).
    assert client.get(f"/c/{other}/plans/{pid}/acceptance").status_code == 404


def test_an_acceptance_result_moves_the_items_works(app, accepting):
    """Passed (or passed with conditions) makes the item's works 已验收 at 100 %; failed sends
    them back to 整改中; each move is in the works log residents read and in the audit chain."""
    from app.aftercare.operations import save_check
    from app.aftercare.queries import passed_items
    from app.works.models import Works, WorksLogEntry

    _cid, pid = accepting
    with app.test_request_context():
        plan = _plan(pid)
        first, second = passed_items(plan)[:2]
        save_check(plan, first, lines=[("外观完好", True)], result="passed")
        save_check(plan, second, lines=[("防水", False)], result="failed")
        works = {
            w.item_id: w for w in db.session.scalars(select(Works).where(Works.plan_id == pid))
        }
        assert (works[first.id].status, works[first.id].progress) == ("accepted", 100)
        assert works[second.id].status == "rectifying"
        logged = db.session.scalars(
            select(WorksLogEntry.text).where(
                WorksLogEntry.works_id == works[first.id].id, WorksLogEntry.kind == "status"
            )
        ).all()
        assert logged[-1] == "accepted"
        moves = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "works.update")
        ).all()
        assert {json.loads(e.after)["acceptance"] for e in moves} == {"passed", "failed"}
