"""Evaluation (满意度评价): one response per household by phone, at the door or on a printed
form keyed twice; results by item and building; a second round compared with the first."""

import re

import pytest
from sqlalchemy import select

from app.communities.models import Household
from app.extensions import db
from app.rules.satisfaction import Scores, form_code, keying_outcome, parse_form_code
from tests.conftest import post_form, sign_in_staff
from tests.printing.conftest import pdf_pages


def test_form_code_round_trips_and_catches_one_wrong_digit():
    code = form_code(2, 123)
    assert code == "PJ2-000123-" + code[-1]
    assert parse_form_code(code.lower().replace("-", " ")) == (2, 123)
    wrong = code[:-3] + str((int(code[-3]) + 1) % 10) + code[-2:]
    with pytest.raises(ValueError):
        parse_form_code(wrong)


def test_keying_state_machine_needs_two_workers_who_agree():
    from app.rules.satisfaction import KeyingRef

    s = Scores({"content": 4}, {}, "好")
    assert keying_outcome([], 1, s).status == "pending"
    first = KeyingRef(1, 1, "pending", s)
    assert keying_outcome([first], 1, s).refusal == "same_worker"
    assert keying_outcome([first], 2, Scores({"content": 4}, {}, " 好 ")).status == "confirmed"
    assert keying_outcome([first], 2, Scores({"content": 5})).status == "mismatch"
    assert keying_outcome([KeyingRef(1, 1, "mismatch", s)], 3, s).refusal == "in_review"


def _sign_in_household(app, client, cid, address):
    from app.communities.codes import issue_codes
    from app.communities.models import Community

    with app.test_request_context():
        codes = issue_codes(db.session.get(Community, cid))
        db.session.commit()
        code = next(c for h, c in codes if f"{h.building.name}{h.unit.name}{h.room}" == address)
    assert client.get(f"/h/{code}").status_code == 302


def test_household_worker_and_paper_responses_and_two_rounds(app, client, factory, evaluating):
    from app.aftercare.models import EvaluationResponse
    from app.core.audit import AuditEvent

    cid, pid = evaluating
    staff = app.test_client()
    sign_in_staff(staff, "w1")
    base = f"/c/{cid}/plans/{pid}/evaluation"
    assert post_form(staff, base + "/rounds", {"closes_on": ""}, form_page=base).status_code == 302

    # The household on its phone: three aspects, its passed items, a comment; then a change.
    _sign_in_household(app, client, cid, "3号楼2单元601")
    page = client.get("/evaluate").get_data(as_text=True)
    item_fields = sorted(set(re.findall(r'name="(i-\d+)"', page)))
    assert item_fields and 'name="a-management"' in page
    data = {"a-content": "5", "a-process": "3", "a-management": "4", item_fields[0]: "5",
            "comment": "电梯很好"}  # fmt: skip
    assert post_form(client, "/evaluate", data).status_code == 302
    data["a-process"] = "2"
    assert post_form(client, "/evaluate", data).status_code == 302
    assert post_form(client, "/evaluate", {"i-999999": "5"}).status_code == 409
    with app.app_context():
        (response,) = db.session.scalars(select(EvaluationResponse)).all()
        assert response.channel == "phone" and '"process": 2' in response.scores

    # At the door, by a worker; a printed form keyed twice (w1, then w2 who disagrees, then c1).
    with app.app_context():
        from app.communities.models import Household

        others = db.session.scalars(
            select(Household.id).where(Household.community_id == cid).order_by(Household.id)
        ).all()[:2]
    r = post_form(staff, f"{base}/door/{others[0]}", {"a-content": "4", "a-process": "4"})
    assert r.status_code == 302
    r = post_form(staff, f"{base}/key", {"code": form_code(1, others[1])}, form_page=base)
    assert r.headers["Location"].endswith(f"/key/{others[1]}")
    assert post_form(staff, f"{base}/key/{others[1]}", {"a-content": "3"}).status_code == 302
    # The same worker cannot key it a second time.
    assert post_form(staff, f"{base}/key/{others[1]}", {"a-content": "3"}).status_code == 409
    second = app.test_client()
    sign_in_staff(second, "w2")
    assert post_form(second, f"{base}/key/{others[1]}", {"a-content": "1"}).status_code == 302
    assert "待业委会核对" in staff.get(base).get_data(as_text=True)
    committee = app.test_client()
    sign_in_staff(committee, "c1")
    assert post_form(committee, base + "/rounds/close", {}, form_page=base).status_code == 409
    r = post_form(committee, f"{base}/review/{others[1]}", {"a-content": "3"})
    assert r.status_code == 302

    with app.app_context():
        channels = sorted(db.session.scalars(select(EvaluationResponse.channel)).all())
        assert channels == ["door", "paper", "phone"]
    page = staff.get(base).get_data(as_text=True)
    assert "参与 3 户" in page and "<svg" in page and "各楼栋参与率" in page
    forms = staff.get(base + "/forms.pdf?building=")
    assert forms.status_code == 200
    text = pdf_pages(forms.data)
    assert "满意度评价表" in text[0] and "PJ1-" in text[0]

    # Close; the phone cannot change any more; a second round months later, compared.
    assert post_form(committee, base + "/rounds/close", {}, form_page=base).status_code == 302
    assert post_form(client, "/evaluate", data).status_code in (200, 409)
    assert post_form(staff, base + "/rounds", {}, form_page=base).status_code == 302
    data["a-content"] = "3"
    assert post_form(client, "/evaluate", data).status_code == 302
    page = client.get("/evaluation/results").get_data(as_text=True)
    assert "第 1 轮" in page and "第 2 轮" in page and "电梯很好" not in page
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.community_id == cid, AuditEvent.action.like("evaluation.%")
            )
        ).all()
    assert actions.count("evaluation.respond") == 5 and "evaluation.resolve" in actions


def test_roles_and_phases_of_the_evaluation_pages(app, client, factory, accepting):
    """Keying is a worker's, review the committee's, district staff only read; households
    evaluate only in the evaluation phase, with a round open."""
    from app.aftercare.operations import start_round
    from app.core.errors import DomainError
    from app.plans.models import Plan
    from app.plans.workflow import set_phase

    cid, pid = accepting
    base = f"/c/{cid}/plans/{pid}/evaluation"
    _sign_in_household(app, client, cid, "3号楼2单元601")
    assert "现在没有进行中的满意度评价" in client.get("/evaluate").get_data(as_text=True)
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        with pytest.raises(DomainError):
            start_round(plan)  # not before the evaluation phase
        set_phase(plan, "evaluation")
        start_round(plan)
        db.session.commit()
        household_id = db.session.scalar(select(Household.id).where(Household.community_id == cid))
    assert "提交评价" in client.get("/evaluate").get_data(as_text=True)
    committee, district = app.test_client(), app.test_client()
    sign_in_staff(committee, "c1")
    assert committee.get(f"{base}/key/{household_id}").status_code == 403
    assert committee.get(f"{base}/door/{household_id}").status_code == 403
    worker = app.test_client()
    sign_in_staff(worker, "w1")
    assert worker.get(f"{base}/review/{household_id}").status_code == 403
    assert worker.get(f"{base}/door/{household_id}").status_code == 200
    factory.user("d1", "district", district="滨城区")
    sign_in_staff(district, "d1")
    page = district.get(base)
    assert page.status_code == 200 and "开始第" not in page.get_data(as_text=True)
    assert district.post(f"{base}/rounds/close").status_code in (400, 403)
