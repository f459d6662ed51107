"""Works pages: residents follow the works, report issues and volunteer on the phone; staff run
the works, appoint supervisors and answer issue reports; the public page and the site notice;
another community's records answer 404; the district sees progress and overdue reports; the
archive holds it all."""

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.plans.queries import local_today
from app.works.models import IssueReport, Works, WorksPhoto, WorksSupervisor
from tests.conftest import post_form
from tests.works.conftest import jpeg


def _today(estate):
    """The community's today."""
    with estate.app.app_context():
        return local_today()


def _first_id(estate, model):
    """The id of the first row of a table."""
    with estate.app.app_context():
        return db.session.scalar(select(model.id).order_by(model.id))


def test_resident_follows_the_works_from_the_home_page(works_estate):
    (wid,) = works_estate.works_ids()
    worker = works_estate.staff_client("worker-a")
    detail = f"/c/{works_estate.a}/works/{wid}"
    response = post_form(worker, f"{detail}/edit",
                         {"contractor": "滨城建工", "status": "in_progress", "progress": "45",
                          "contract": "1,680,000.00"}, form_page=detail)  # fmt: skip
    assert response.status_code == 302
    response = post_form(worker, f"{detail}/log",
                         {"entry_date": _today(works_estate).isoformat(), "stage": "before",
                          "text": "施工前外墙空鼓", "photos": (io.BytesIO(jpeg()), "a.jpg")},
                         form_page=detail, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    home = works_estate.household_client(works_estate.households[0])
    html = home.get("/home").get_data(as_text=True)
    assert "施工进度" in html and "外墙保温及屋面防水" in html and "45%" in html
    item = home.get(f"/works/{wid}").get_data(as_text=True)
    assert "滨城建工" in item and "施工前外墙空鼓" in item and "1,680,000.00" in item
    photo_id = _first_id(works_estate, WorksPhoto)
    assert f"/works/photos/{photo_id}" in item
    photo = home.get(f"/works/photos/{photo_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    # Another community's household sees neither the works nor its photo.
    foreign = works_estate.household_client(sorted(works_estate.codes_b)[0])
    assert foreign.get(f"/works/{wid}").status_code == 404
    assert foreign.get(f"/works/photos/{photo_id}").status_code == 404


def test_resident_reports_an_issue_and_follows_it_to_closure(works_estate):
    (wid,) = works_estate.works_ids()
    home = works_estate.household_client(works_estate.households[0])
    response = post_form(home, "/issues/new",
                         {"works": str(wid), "location": "1号楼1单元 楼道口",
                          "text": "旧保温板堆在楼道口", "photos": (io.BytesIO(jpeg()), "p.jpg")},
                         content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    issue_url = response.headers["Location"]
    assert "待处理" in home.get(issue_url).get_data(as_text=True)
    issue_id = _first_id(works_estate, IssueReport)
    staff_url = f"/c/{works_estate.a}/issues/{issue_id}"
    handle = f"{staff_url}/handle"
    worker = works_estate.staff_client("worker-a")
    deadline = (_today(works_estate) + timedelta(days=3)).isoformat()
    assign = {"step": "assign", "responsible": "施工队 周工", "deadline": deadline}
    assert post_form(worker, handle, assign, form_page=staff_url).status_code == 302
    html = home.get(issue_url).get_data(as_text=True)
    assert "整改中" in html and "施工队 周工" in html and deadline in html
    assert (
        post_form(
            worker, handle, {"step": "rectify", "rectify_note": "已清运"}, form_page=staff_url
        ).status_code
        == 302
    )
    committee = works_estate.staff_client("committee-a")
    passed = {"step": "reinspect", "result": "pass", "reinspect_note": "楼道已清空"}
    response = post_form(committee, handle, passed, form_page=staff_url)
    assert response.status_code == 302
    html = home.get(issue_url).get_data(as_text=True)
    assert "已办结" in html and "楼道已清空" in html and "已清运" in html
    # Another household of the same community cannot read it.
    other = works_estate.household_client(works_estate.households[1])
    assert other.get(issue_url).status_code == 404
    # Staff of another community get 404.
    assert works_estate.staff_client("worker-b").get(staff_url).status_code == 404


def test_issue_report_without_location_is_refused_with_reasons(works_estate):
    home = works_estate.household_client(works_estate.households[0])
    response = post_form(home, "/issues/new", {"works": "0", "location": "", "text": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请写下问题在哪里" in html and "请写下发现了什么问题" in html
    assert _first_id(works_estate, IssueReport) is None


def test_volunteer_appointment_and_inspection(works_estate):
    (wid,) = works_estate.works_ids()
    hid = works_estate.households[2]
    home = works_estate.household_client(hid)
    assert post_form(home, f"/works/{wid}/volunteer", {"note": "白天在家"},
                     form_page=f"/works/{wid}").status_code == 302  # fmt: skip
    assert "等待居委会任命" in home.get(f"/works/{wid}").get_data(as_text=True)
    assert home.get(f"/works/{wid}/inspect").status_code == 200
    refused = post_form(home, f"/works/{wid}/inspect", {"findings": "看过", "severity": "ok"})
    assert refused.status_code == 422 and "只有居委会任命的监督员" in refused.get_data(as_text=True)
    supervisor_id = _first_id(works_estate, WorksSupervisor)
    detail = f"/c/{works_estate.a}/works/{wid}"
    worker = works_estate.staff_client("worker-a")
    appoint_url = f"/c/{works_estate.a}/supervisors/{supervisor_id}/appoint"
    assert post_form(worker, appoint_url, {}, form_page=detail).status_code == 403
    committee = works_estate.staff_client("committee-a")
    assert post_form(committee, appoint_url, {}, form_page=detail).status_code == 302
    response = post_form(home, f"/works/{wid}/inspect",
                         {"findings": "东立面接缝未抹平", "severity": "minor",
                          "photos": (io.BytesIO(jpeg()), "i.jpg")},
                         content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    html = home.get(f"/works/{wid}").get_data(as_text=True)
    assert "东立面接缝未抹平" in html and "监督员巡查" in html and "一般问题" in html
    # The worker nominates another household by address.
    response = post_form(worker, f"{detail}/nominate", {"address": "2-1-101"}, form_page=detail)
    assert response.status_code == 302
    assert "被推荐" in worker.get(detail).get_data(as_text=True)


def test_site_notice_pdf_and_public_page(works_estate):
    (wid,) = works_estate.works_ids()
    worker = works_estate.staff_client("worker-a")
    pdf = worker.get(f"/c/{works_estate.a}/works/{wid}/notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    html = worker.get(f"/c/{works_estate.a}/works/{wid}").get_data(as_text=True)
    public_url = html.split("公示上的二维码打开项目公开页：")[1].split('href="')[1].split('"')[0]
    anonymous = works_estate.app.test_client()
    page = anonymous.get(public_url.replace("http://localhost", ""))
    assert page.status_code == 200 and "外墙保温及屋面防水" in page.get_data(as_text=True)
    assert anonymous.get(f"/w/{wid}/0000000000000000").status_code == 404
    assert (
        works_estate.staff_client("worker-b")
        .get(f"/c/{works_estate.a}/works/{wid}/notice.pdf")
        .status_code
        == 404
    )


def test_overdue_report_is_flagged_to_the_worker_and_the_district(works_estate):
    (wid,) = works_estate.works_ids()
    with works_estate.app.test_request_context():
        issue = IssueReport(community_id=works_estate.a, plan_id=works_estate.plan, works_id=wid,
                            household_id=works_estate.households[0], location="2号楼 屋面",
                            text="漏水", status="assigned", responsible="防水班组",
                            deadline=local_today() - timedelta(days=2))  # fmt: skip
        db.session.add(issue)
        works = db.session.get(Works, wid)
        works.progress = 60
        db.session.commit()
    worker = works_estate.staff_client("worker-a")
    overview = worker.get(f"/c/{works_estate.a}/").get_data(as_text=True)
    assert "已超过整改期限" in overview and "2号楼 屋面" in overview
    assert "已超期" in worker.get(f"/c/{works_estate.a}/works", follow_redirects=True).get_data(
        as_text=True
    )
    district = works_estate.staff_client("district-1")
    html = district.get("/district?sort=issues_overdue&desc=1").get_data(as_text=True)
    assert "超期问题" in html and "60%" in html
    first_row = html.split("<tbody>")[2].split("</tr>")[0]
    assert "甲小区" in first_row  # the community with the overdue report sorts first
    csv = district.get("/district/overview.csv").get_data(as_text=True)
    assert "超期问题反映" in csv and "平均施工进度（%）" in csv
    header = next(line for line in csv.splitlines() if "超期问题反映" in line).split(",")
    row_a = next(line for line in csv.splitlines() if line.startswith("甲小区")).split(",")
    start = header.index("施工项目")
    assert row_a[start : start + 5] == ["1", "0", "60", "1", "1"]


def test_archive_holds_works_logs_photos_and_issue_reports(app, works_estate, tmp_path):
    from app.plans.models import Plan
    from app.reports.archive.build import build_archive

    (wid,) = works_estate.works_ids()
    home = works_estate.household_client(works_estate.households[0])
    post_form(home, "/issues/new", {"works": str(wid), "location": "1号楼", "text": "噪音",
                                    "photos": (io.BytesIO(jpeg()), "p.jpg")},
              content_type="multipart/form-data")  # fmt: skip
    path = tmp_path / "archive.zip"
    with app.test_request_context():
        info = build_archive(db.session.get(Plan, works_estate.plan), path)
    root = f"plan-{works_estate.plan}/"
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read(root + "works/works.json"))
        photo = document["issue_reports"][0]["photos"][0]
        listed = {f["path"]: f for f in info.manifest["files"]}
        assert listed[photo["file"]]["sha256"] == photo["sha256"]
        assert archive.read(root + photo["file"])[:3] == b"\xff\xd8\xff"
    assert document["works"][0]["item"]["key"] == "A1"
    assert document["issue_reports"][0]["steps"][0]["step"] == "reported"
    assert info.manifest["counts"]["works"] == 1
    assert info.manifest["counts"]["issue_reports"] == 1
