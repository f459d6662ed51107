"""The archive (一小区一档案): what it holds, its manifest, tampering found, CLI, page, upload."""

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.core.audit import AuditEvent
from app.extensions import db
from tests.conftest import csrf_from, post_form, sign_in_staff
from tests.plans.conftest import household_id
from tests.reports.conftest import exported  # noqa: F401


@pytest.fixture
def archived(app, factory, exported, tmp_path):  # noqa: F811
    """The exports' example plan, and more: printed ballots for 1号楼1单元, a paper ballot keyed
    twice differently and resolved by the committee, an invalid paper ballot, a revised item,
    print jobs (letters and ballots, one file kept), another community's events in between,
    voting closed and the preliminary result published."""
    from app.accounts.models import User
    from app.communities.models import Household
    from app.communities.operations import create_community
    from app.paper.keying import Keying
    from app.paper.models import PaperSerial
    from app.paper.operations import enter_paper_ballot, mark_invalid, resolve_mismatch
    from app.plans.models import Item, Plan
    from app.printing.jobs import prints_dir
    from app.printing.models import PrintJob
    from app.tally.operations import publish_preliminary

    cid, pid = exported["cid"], exported["pid"]
    factory.user("worker2", "worker", communities=[cid])
    ids = [household_id(app, "1号楼", "1单元", room) for room in ("301", "302")]
    result = app.test_cli_runner().invoke(
        args=["print", "ballots", str(pid), "--building", "1号楼", "--unit", "1单元",
              "--out", str(tmp_path / "ballots.pdf")]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        create_community("邻居小区", "滨城区")  # its events fall between this community's
        db.session.commit()
        plan = db.session.get(Plan, pid)
        users = {u.username: u for u in db.session.scalars(select(User))}
        h301, h302 = (db.session.get(Household, i) for i in ids)
        serials = {
            s.household_id: s
            for s in db.session.scalars(select(PaperSerial).where(PaperSerial.plan_id == pid))
        }
        marks = {"A1": "agree", "A2": "agree", "B2": "agree", "C1": "agree"}
        enter_paper_ballot(
            plan, h301, Keying(marks), user=users["worker1"], serial=serials[h301.id]
        )
        enter_paper_ballot(
            plan, h301, Keying(marks | {"A2": "oppose"}), user=users["worker2"],
            serial=serials[h301.id],
        )  # fmt: skip
        resolve_mismatch(
            plan, h301, serials[h301.id].id, Keying(marks | {"A2": "oppose"}),
            user=users["committee1"],
        )  # fmt: skip
        mark_invalid(plan, serials[h302.id], "未签名", user=users["worker1"])
        # C1 revised after the votes: every choice on it becomes void.
        db.session.scalar(select(Item).where(Item.plan_id == pid, Item.key == "C1")).revision = 2
        stored = prints_dir() / "ballots-test-archive.pdf"
        stored.write_bytes(b"%PDF-1.4 stored ballots")
        db.session.add_all(
            [
                PrintJob(community_id=cid, plan_id=pid, kind="letters", status="done",
                         created_by_id=users["worker1"].id, filename="letters-secret.pdf"),
                PrintJob(community_id=cid, plan_id=pid, kind="ballots", status="done",
                         created_by_id=users["worker1"].id, filename=stored.name, pages=12),
            ]
        )  # fmt: skip
        (prints_dir() / "letters-secret.pdf").write_bytes(b"%PDF code ABCD-EFGH")
        plan.voting_closes = plan.voting_closes - timedelta(days=20)
        plan.voting_opens = plan.voting_closes - timedelta(days=5)
        publish_preliminary(plan)
        db.session.commit()
    return exported | {"tmp": tmp_path}


@pytest.fixture
def built(app, archived):
    """The archive built into a file: (path, info)."""
    from app.plans.models import Plan
    from app.reports.archive.build import build_archive

    path = archived["tmp"] / "archive.zip"
    with app.test_request_context():
        info = build_archive(db.session.get(Plan, archived["pid"]), path)
    return path, info


def _read(path, name: str) -> bytes:
    """One member of the archive."""
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def _json(path, name: str):
    """One JSON member of the archive, decoded."""
    return json.loads(_read(path, name).decode("utf-8"))


def test_every_file_is_listed_with_its_size_and_sha256(app, archived, built):
    path, info = built
    root = f"plan-{archived['pid']}/"
    manifest = _json(path, root + "manifest.json")
    assert manifest["format"] == "coplan-archive" and manifest["version"] == 2
    assert manifest["plan"]["id"] == archived["pid"] and manifest["created_by"] == "cli"
    assert manifest["community"]["name"] == "滨城区示例小区"
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert all(n.startswith(root) and n.isascii() for n in names)
        listed = {root + f["path"] for f in manifest["files"]}
        assert names == listed | {root + "manifest.json", root + "manifest.sha256"}
        for entry in manifest["files"]:
            data = archive.read(root + entry["path"])
            assert len(data) == entry["size"]
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        manifest_bytes = archive.read(root + "manifest.json")
        summed = archive.read(root + "manifest.sha256").decode()
        assert summed == f"{hashlib.sha256(manifest_bytes).hexdigest()}  manifest.json\n"
        sums = archive.read(root + "SHA256SUMS").decode().splitlines()
    assert len(sums) == len(manifest["files"]) - 1  # every file but SHA256SUMS itself
    assert info.files == len(names)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.size == path.stat().st_size
    readme = _read(path, root + "README.txt").decode()
    assert (
        "flask archive verify" in readme and "sha256sum -c" in readme and "一小区一档案" in readme
    )


def test_roster_snapshot_has_every_household_and_no_secrets(app, archived, built):
    path, _info = built
    text = _read(path, f"plan-{archived['pid']}/roster.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:7] == ["编号", "楼栋", "单元", "房号", "楼层", "面积", "业主"]
    assert len(rows) - 1 == 84
    by_room = {(r[1], r[2], r[3]): r for r in rows[1:]}
    # The two households of one owner (same ID number) share a group label; the key stays home.
    group = by_room[("1号楼", "1单元", "301")][8]
    assert group and by_room[("1号楼", "2单元", "202")][8] == group
    from app.communities.models import Household

    with app.app_context():
        secrets = [
            v
            for h in db.session.scalars(select(Household))
            for v in (h.owner_key, h.code_hash, h.phone)
            if v
        ]
    with zipfile.ZipFile(path) as archive:
        everything = (
            b"".join(
                archive.read(n) for n in archive.namelist() if not n.endswith((".xlsx", ".csv"))
            )
            + text.encode()
        )
    assert secrets and not any(s.encode() in everything for s in secrets if len(s) > 8)


def test_ballot_history_keeps_every_version(app, archived, built):
    path, _info = built
    doc = _json(path, f"plan-{archived['pid']}/ballots.json")
    homes = {h["address"]: h for h in doc["households"]}
    changed = homes["1号楼1单元101"]["ballots"]
    assert [b["channel"] for b in changed] == ["online", "online"]
    assert [b["version"] for b in changed] == [1, 2]
    assert [b["status"] for b in changed] == ["superseded", "effective"]
    first_a1, last_a1 = ({c["item"]: c["choice"] for c in b["choices"]}["A1"] for b in changed)
    assert (first_a1, last_a1) == ("agree", "oppose")
    assert all(b["receipt"] and b["recorded_at"].endswith("Z") for b in changed)
    assisted = homes["1号楼1单元201"]["ballots"][0]
    assert (assisted["authorised_by"], assisted["witness"]) == ("李四", "王五")
    assert assisted["recorded_by"] == "worker1"
    pledged = homes["1号楼1单元102"]["ballots"][0]
    assert {c["item"]: c["pledge"] for c in pledged["choices"]}["A1"] is True
    conflict = homes["3号楼2单元101"]
    assert conflict["effective"]["conflict"] is True
    assert [c["address"] for c in doc["conflicts"]] == ["3号楼2单元101"]
    # C1 was revised after the votes: its choices are kept, marked void.
    c1 = [c for c in changed[1]["choices"] if c["item"] == "C1"]
    assert c1 and c1[0]["void"] is True and c1[0]["revision"] == 1
    resolved = homes["1号楼1单元301"]["ballots"][0]
    assert resolved["channel"] == "paper" and resolved["serial"]
    assert doc["summary"]["ballots"] == sum(len(h["ballots"]) for h in doc["households"])


def test_paper_trail_serials_entries_and_resolution(app, archived, built):
    path, _info = built
    doc = _json(path, f"plan-{archived['pid']}/paper.json")
    states = {s["household"]["address"]: s["state"] for s in doc["serials"]}
    assert states["1号楼1单元301"] == "returned" and states["1号楼1单元302"] == "invalid"
    assert states["1号楼1单元401"] == "issued"
    invalid = next(s for s in doc["serials"] if s["state"] == "invalid")
    assert invalid["invalid_reason"] == "未签名"
    entries = [e for e in doc["entries"] if e["household"]["address"] == "1号楼1单元301"]
    assert [(e["entered_by"], e["status"]) for e in entries] == [
        ("worker1", "superseded"),
        ("worker2", "superseded"),
        ("committee1", "resolution"),
    ]
    assert entries[1]["values"]["choices"]["A2"] == "oppose"
    (resolution,) = doc["resolutions"]
    assert resolution["resolved_by"] == "committee1"
    assert resolution["settled_entries"] == [entries[0]["id"], entries[1]["id"]]


def test_tally_plan_publication_and_notices(app, archived, built):
    from app.plans.models import Plan
    from app.tally.document import tally_document
    from app.tally.queries import tally_plan

    path, _info = built
    root = f"plan-{archived['pid']}/"
    tally = _json(path, root + "tally.json")
    with app.test_request_context():
        expected = tally_document(tally_plan(db.session.get(Plan, archived["pid"])))
    tally.pop("generated_at"), expected.pop("generated_at")
    assert tally == expected
    # The opt-in item (户内自选) is listed apart with its sign-up, never among the voted items.
    assert [(o["key"], o["signed_up"]) for o in tally["opt_in"]] == [("D1", 1)]
    assert "D1" not in [i["key"] for i in tally["items"]]
    plan = _json(path, root + "plan.json")
    assert [i["key"] for i in plan["items"]] == ["A1", "A2", "B1", "B2", "C1", "D1"]
    assert plan["items"][1]["scope"]["buildings"] == ["1号楼", "2号楼"]
    assert plan["policies"]["conflict_policy"] == "paper_prevails"
    assert {p["title"] for p in plan["proposals"]} == {"外墙漏水", "建游泳池"}
    publication = _json(path, root + "publication.json")
    assert publication["result_stage"] == "preliminary"
    assert publication["publications"][0]["action"] == "result.publish_preliminary"
    names = _read_names(path)
    for pdf in ("notices/preliminary-notice.pdf", "notices/tally-sheet.pdf"):
        assert _read(path, root + pdf).startswith(b"%PDF")
    assert root + "notices/final-notice.pdf" not in names


def _read_names(path) -> set[str]:
    """The archive's member names."""
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def test_print_register_keeps_ballot_files_never_letters(app, archived, built):
    path, _info = built
    root = f"plan-{archived['pid']}/"
    jobs = {j["kind"]: j for j in _json(path, root + "printing/print-jobs.json")["jobs"]}
    assert jobs["letters"]["file"] is None and "sign-in codes" in jobs["letters"]["file_note"]
    stored = jobs["ballots"]["file"]
    assert _read(path, root + stored) == b"%PDF-1.4 stored ballots"
    with zipfile.ZipFile(path) as archive:
        assert not any(b"ABCD-EFGH" in archive.read(n) for n in archive.namelist())


def test_exports_are_all_present(app, archived, built):
    from app.reports.exports import EXPORTS

    path, _info = built
    names = _read_names(path)
    root = f"plan-{archived['pid']}/"
    assert EXPORTS, "the export registry is empty"
    for spec in EXPORTS.values():
        assert root + f"exports/{spec.name}.csv" in names
        xlsx = _read(path, root + f"exports/{spec.name}.xlsx")
        assert xlsx[:2] == b"PK"
    # The opt-in sign-ups: 1号楼1单元101 joined D1 at the door.
    signups = _read(path, root + "exports/signups.csv").decode("utf-8-sig")
    assert "D1,1号楼,1单元,101," in signups and ",参加,上门登记," in signups


def test_audit_trail_is_the_whole_community_chain_up_to_the_stated_head(app, archived, built):
    from app.reports.archive.build import verify_archive

    path, _info = built
    root = f"plan-{archived['pid']}/"
    lines = [json.loads(x) for x in _read(path, root + "audit.jsonl").splitlines()]
    manifest = _json(path, root + "manifest.json")
    with app.app_context():
        ids = db.session.scalars(
            select(AuditEvent.id)
            .where(AuditEvent.chain == archived["cid"])
            .where(AuditEvent.seq <= int(manifest["audit_head"].split(":")[0]))
            .order_by(AuditEvent.seq)
        ).all()
    assert [x["id"] for x in lines] == ids
    assert [x["seq"] for x in lines] == list(range(1, len(lines) + 1))
    assert all(x["community_id"] == archived["cid"] for x in lines)
    assert manifest["audit_head"] == f"{lines[-1]['seq']}:{lines[-1]['hash']}"
    check = _json(path, root + "audit-verification.json")
    assert check["in_archive"]["ok"] and check["in_archive"]["head"] == manifest["audit_head"]
    assert check["in_database"]["links_ok"] and check["in_database"]["events"] == len(lines)
    with app.app_context():
        result = verify_archive(path)
    assert result.ok, [p.message for p in result.problems]
    assert result.audit.events == len(lines) and result.audit.starts_at_genesis


def _drop_audit_line(number: int):
    def change(data: bytes) -> bytes:
        lines = data.splitlines(keepends=True)
        return b"".join(lines[: number - 1] + lines[number:])

    return change


def _rewrite_with_manifest(path, out, member: str, change) -> None:
    """A copy with one member changed AND the manifest rewritten to match it, as a forger
    who knows the format would: only the chain itself can show what was removed."""
    import hashlib

    with zipfile.ZipFile(path) as src:
        members = {i.filename: src.read(i.filename) for i in src.infolist()}
    name = next(n for n in members if n.endswith(member))
    members[name] = change(members[name])
    manifest_name = next(n for n in members if n.endswith("manifest.json"))
    manifest = json.loads(members[manifest_name])
    for entry in manifest["files"]:
        if name.endswith(entry["path"]):
            entry["size"] = len(members[name])
            entry["sha256"] = hashlib.sha256(members[name]).hexdigest()
    members[manifest_name] = json.dumps(manifest).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for filename, data in members.items():
            if not filename.endswith("manifest.sha256"):
                dst.writestr(filename, data)


@pytest.mark.parametrize(("line", "kind"), [(1, "audit_start"), (2, "audit_missing")])
def test_an_event_removed_from_the_archived_chain_is_found(
    app, archived, built, tmp_path, line, kind
):
    from app.reports.archive.build import verify_archive

    path, _info = built
    forged = tmp_path / "forged.zip"
    _rewrite_with_manifest(path, forged, "audit.jsonl", _drop_audit_line(line))
    result = verify_archive(forged)
    assert kind in {p.kind for p in result.problems}


def test_the_last_events_removed_from_the_archive_contradict_the_manifest_head(
    app, archived, built, tmp_path
):
    from app.reports.archive.build import verify_archive

    path, _info = built
    root = f"plan-{archived['pid']}/"
    count = len(_read(path, root + "audit.jsonl").splitlines())
    forged = tmp_path / "forged.zip"
    _rewrite_with_manifest(path, forged, "audit.jsonl", _drop_audit_line(count))
    result = verify_archive(forged)
    assert {p.kind for p in result.problems} == {"audit_head"}


def _rewrite(path, out, *, change=None, drop=None, add=None):
    """A copy of the archive with one member changed, dropped or added (a valid ZIP)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if drop and info.filename.endswith(drop):
                continue
            data = src.read(info.filename)
            if change and info.filename.endswith(change[0]):
                data = change[1](data)
            dst.writestr(info.filename, data)
        if add:
            dst.writestr(add[0], add[1])
    return out


def _flip_one_byte(data: bytes) -> bytes:
    """The data with one bit of its 11th byte flipped."""
    return data[:10] + bytes([data[10] ^ 1]) + data[11:]


TAMPERING = [
    ({"change": ("roster.csv", _flip_one_byte)}, {"hash"}),
    ({"drop": "tally.json"}, {"missing"}),
    ({"add": ("plan-{pid}/extra.txt", b"x")}, {"extra"}),
    ({"change": ("manifest.json", lambda d: d.replace(b'"cli"', b'"ghost"'))}, {"manifest_hash"}),
    ({"change": ("plan.json", lambda d: d + b" ")}, {"size"}),
    ({"change": ("manifest.json", lambda d: b"{not json")}, {"manifest_unreadable"}),
    ({"drop": "manifest.json"}, {"no_manifest"}),
]


def test_tampering_is_found(app, archived, built):
    """A changed byte, a removed file, an added file, an edited manifest: each one reported."""
    from app.reports.archive.build import verify_archive

    path, _info = built
    for n, (case, kinds) in enumerate(TAMPERING):
        if "add" in case:
            case = {"add": (case["add"][0].format(pid=archived["pid"]), case["add"][1])}
        bad = _rewrite(path, archived["tmp"] / f"bad{n}.zip", **case)
        with app.app_context():
            result = verify_archive(bad)
        assert not result.ok, case
        assert {p.kind for p in result.problems} == kinds, (case, result.problems)
        assert all(p.message for p in result.problems)


def test_an_edited_audit_event_breaks_the_chain(app, archived, built):
    """An event edited inside audit.jsonl (and the manifest updated to match) is still caught."""
    from app.reports.archive.build import verify_archive

    path, _info = built
    root = f"plan-{archived['pid']}/"
    lines = _read(path, root + "audit.jsonl").splitlines()
    event = json.loads(lines[3])
    event["actor"] = "user:someone-else"
    lines[3] = json.dumps(event, ensure_ascii=False).encode()
    audit = b"\n".join(lines) + b"\n"
    manifest = _json(path, root + "manifest.json")
    for entry in manifest["files"]:
        if entry["path"] == "audit.jsonl":
            entry["size"], entry["sha256"] = len(audit), hashlib.sha256(audit).hexdigest()
    manifest_bytes = json.dumps(manifest, ensure_ascii=False).encode()
    bad = _rewrite(path, archived["tmp"] / "a.zip", change=("audit.jsonl", lambda d: audit))
    bad = _rewrite(
        bad, archived["tmp"] / "b.zip", change=("manifest.json", lambda d: manifest_bytes)
    )
    bad = _rewrite(bad, archived["tmp"] / "c.zip", drop="manifest.sha256")
    with app.app_context():
        result = verify_archive(bad)
    assert [p.kind for p in result.problems] == ["audit_hash"]


def test_a_corrupted_zip_byte_and_a_non_zip_are_reported(app, archived, built):
    from app.reports.archive.build import verify_archive

    path, _info = built
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(f"plan-{archived['pid']}/ballots.json")
    data[info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF
    with app.app_context():
        result = verify_archive(io.BytesIO(bytes(data)))
        assert not result.ok and result.problems[0].path.endswith("ballots.json")
        assert {p.kind for p in result.problems} <= {"hash", "corrupt"}
        junk = verify_archive(io.BytesIO(b"not a zip at all"))
    assert [p.kind for p in junk.problems] == ["not_zip"]


def test_cli_builds_audits_and_verifies(app, archived):
    runner = app.test_cli_runner()
    out = archived["tmp"] / "cli.zip"
    result = runner.invoke(args=["archive", str(archived["pid"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert str(out) in result.output and digest in result.output
    assert not (archived["tmp"] / "cli.zip.partial").exists()
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive"))
        assert event.after_data["sha256"] == digest and event.actor == "cli"
        assert event.record_id == str(archived["pid"]) and event.after_data["via"] == "cli"
    ok = runner.invoke(args=["archive", "verify", str(out)])
    assert ok.exit_code == 0 and "OK" in ok.output, ok.output
    bad = _rewrite(out, archived["tmp"] / "bad.zip", drop="plan.json")
    failed = runner.invoke(args=["archive", "verify", str(bad)])
    assert failed.exit_code == 1 and "plan.json" in failed.output
    assert runner.invoke(args=["archive", "999999", "--out", str(out)]).exit_code == 1
    assert runner.invoke(args=["archive", "build", str(archived["pid"])]).exit_code == 2


def test_page_download_and_verify_upload(app, archived):
    client = app.test_client()
    sign_in_staff(client, "committee1")
    base = f"/c/{archived['cid']}/plans/{archived['pid']}/archive"
    page = client.get(base).get_data(as_text=True)
    assert "ballots.json" in page and "还没有生成过档案" in page
    detail = client.get(f"/c/{archived['cid']}/plans/{archived['pid']}").get_data(as_text=True)
    assert base in detail
    response = client.get(base + ".zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    data = response.get_data()
    assert "attachment" in response.headers["Content-Disposition"]
    digest = hashlib.sha256(data).hexdigest()
    page = client.get(base).get_data(as_text=True)
    assert digest in page and "网页下载" in page
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive"))
        assert event.actor == "user:committee1" and event.after_data["sha256"] == digest
    token = csrf_from(client, base)
    good = client.post(
        base + "/verify",
        data={"csrf_token": token, "file": (io.BytesIO(data), "archive.zip")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "档案完好" in good and "完全相同" in good
    zipped = archived["tmp"] / "download.zip"
    zipped.write_bytes(data)
    bad = _rewrite(zipped, archived["tmp"] / "bad.zip", drop="tally.json").read_bytes()
    failed = client.post(
        base + "/verify",
        data={"csrf_token": token, "file": (io.BytesIO(bad), "archive.zip")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "档案不完整或被改动过" in failed and "缺少文件" in failed and "tally.json" in failed
    empty = post_form(client, base + "/verify", {}, form_page=base)
    assert empty.status_code == 422 and "请选择要核对的档案文件" in empty.get_data(as_text=True)


def test_roles_on_the_archive_page(app, archived, factory):
    base = f"/c/{archived['cid']}/plans/{archived['pid']}/archive"
    for username, status in (("worker1", 200), ("committee1", 200), ("district1", 403)):
        client = app.test_client()
        sign_in_staff(client, username)
        assert client.get(base).status_code == status, username
    anonymous = app.test_client().get(base + ".zip")
    assert anonymous.status_code == 302


def test_a_plan_without_ballots_archives_too(app, factory):
    """A plan still in proposals: no notices, no ballots, and the archive is still whole."""
    from app.plans.models import Plan
    from app.reports.archive.build import build_archive, verify_archive

    cid = factory.community("空小区", buildings=1, units=1, floors=1)
    with app.test_request_context():
        plan = Plan(community_id=cid, title="新方案")
        db.session.add(plan)
        db.session.commit()
        target = io.BytesIO()
        info = build_archive(plan, target)
        target.seek(0)
        result = verify_archive(target)
    assert result.ok, [p.message for p in result.problems]
    assert info.manifest["counts"]["ballots"] == 0 and info.manifest["counts"]["notices"] == []


def test_member_names_leaving_the_folder_are_refused(app, archived, built):
    from app.reports.archive.build import verify_archive

    path, _info = built
    bad = _rewrite(path, archived["tmp"] / "slip.zip", add=("../../etc/evil", b"x"))
    with app.app_context():
        result = verify_archive(bad)
    assert {p.kind for p in result.problems} == {"unsafe", "extra"}


def test_a_head_typed_off_a_notice_is_checked_on_the_archive_page(app, archived):
    from app.core.audit import chain_head

    client = app.test_client()
    sign_in_staff(client, "committee1")
    base = f"/c/{archived['cid']}/plans/{archived['pid']}/archive"
    with app.app_context():
        head = chain_head(archived["cid"])
    page = client.get(base).get_data(as_text=True)
    assert head.head in page
    good = post_form(client, base + "/anchor", {"anchor": f" {head.head.upper()} "}, form_page=base)
    assert "核验通过" in good.get_data(as_text=True)
    wrong = post_form(client, base + "/anchor", {"anchor": "12:abc"}, form_page=base)
    assert wrong.status_code == 422 and "条数:64位哈希值" in wrong.get_data(as_text=True)
    with app.app_context():
        db.session.execute(
            text("DELETE FROM audit_event WHERE chain = :c AND seq = :s"),
            {"c": archived["cid"], "s": head.seq},
        )
        db.session.commit()
    truncated = post_form(client, base + "/anchor", {"anchor": head.head}, form_page=base)
    html = truncated.get_data(as_text=True)
    assert "核验不通过" in html and f"已没有第 {head.seq} 条" in html
