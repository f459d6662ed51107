"""The second demo community (和平里小区): its plan voted, published and in `works`, with
logged photos, an appointed resident supervisor and an open issue report, so a newcomer sees
the part after the vote at once (docs/process.md, after the vote)."""

import io
import json
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.operations import update_user
from app.communities.codes import issue_codes
from app.communities.models import Community, Household
from app.communities.operations import apply_roster_import, create_community, plan_roster_import
from app.communities.roster import RosterRow
from app.extensions import db
from app.plans.items import import_plan
from app.plans.planfile import parse_plan_file
from app.plans.queries import items_for_household, local_today
from app.plans.workflow import end_voting, set_phase
from app.tally.operations import publish_final, publish_preliminary
from app.voting.operations import cast_online_ballot
from app.works.operations import (
    add_log_entry,
    appoint,
    assign_issue,
    log_inspection,
    report_issue,
    update_works,
    volunteer,
)
from app.works.queries import plan_works

PLAN_FILE = Path(__file__).resolve().parent / "data" / "plan.json"
COMMUNITY = "和平里小区"
DISTRICT = "滨城区"
# The items of the demo plan this community voted on (all whole-community items).
ITEM_KEYS = ("A1", "A2", "B2")
NAMES = [
    "王秀英",
    "李建国",
    "张桂兰",
    "刘志强",
    "陈玉兰",
    "杨国强",
    "黄丽娟",
    "赵海燕",
    "吴春梅",
    "周德福",
]


def works_rows() -> list[RosterRow]:
    """40 households: 2 buildings, 2 units, 5 floors, 2 per floor."""
    rng = random.Random(16)
    rows, n = [], 1
    for b in (1, 2):
        for u in (1, 2):
            for floor in range(1, 6):
                for door in (1, 2):
                    n += 1
                    rows.append(
                        RosterRow(
                            row=n,
                            building=f"{b}号楼",
                            unit=f"{u}单元",
                            room=f"{floor}0{door}",
                            floor=floor,
                            area=Decimal(rng.choice(range(5200, 8800))) / 100,
                            owner_name=rng.choice(NAMES),
                            owner_id=None,
                            phone=None,
                        )
                    )
    return rows


def demo_photo(label: str, colour: tuple[int, int, int], seed: int) -> bytes:
    """A small JPEG standing in for a site photo: sky, a wall with windows, scaffolding."""
    rng = random.Random(seed)
    image = Image.new("RGB", (480, 360), (176, 206, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 80, 440, 340), fill=colour)
    for row in range(4):
        for col in range(5):
            x, y = 70 + col * 75, 110 + row * 55
            draw.rectangle((x, y, x + 35, y + 30), fill=(90, 110, 130))
    if label != "after":
        for x in range(30, 460, 60):
            draw.line((x, 70, x, 345), fill=(200, 140, 40), width=5)
        for y in range(90, 345, 50):
            draw.line((30, y, 450, y), fill=(200, 140, 40), width=4)
    for _ in range(40):
        x, y = rng.randrange(480), rng.randrange(340, 360)
        draw.point((x, y), fill=(120, 110, 100))
    draw.rectangle((0, 340, 480, 360), fill=(150, 140, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _published_plan(community: Community):
    """The demo plan's three whole-community items, voted by most households and published."""
    today = local_today()
    raw = json.loads(PLAN_FILE.read_text(encoding="utf-8"))
    raw["community"] = community.name
    raw["title"] = "2026年和平里小区改造方案"
    raw["items"] = [item for item in raw["items"] if item["key"] in ITEM_KEYS]
    days = {"proposals": (90, 70), "drafting": (69, 40), "voting": (39, 0)}
    raw["phases"] = {
        phase: {"opens": str(today - timedelta(days=a)), "closes": str(today - timedelta(days=b))}
        for phase, (a, b) in days.items()
    } | {"objection_days": 7}
    plan = import_plan(community, parse_plan_file(json.dumps(raw).encode()))
    set_phase(plan, "voting", reason="demo")
    rng = random.Random(278)
    households = db.session.scalars(
        select(Household).where(Household.community_id == community.id).order_by(Household.id)
    ).all()
    for household in households[3:]:
        if rng.random() < 0.15:
            continue
        choices = {
            i.id: rng.choices(("agree", "oppose", "abstain"), (9, 1, 1))[0]
            for i in items_for_household(plan, household)
        }
        pledges = {i for i, c in choices.items() if c == "agree"}
        cast_online_ballot(plan, household, choices, pledges, f"demo-works-{household.id}")
    end_voting(plan, "演示：表决结束")
    publish_preliminary(plan, today)
    publish_final(plan, plan.objections_close + timedelta(days=1))
    set_phase(plan, "works", reason="demo")  # creates the passed items' works (app.works)
    return plan, households


def _fill_works(plan, households, worker: User, committee: User) -> None:
    """Contractors, dates and progress; a log with photos; a supervisor; an issue report."""
    today = local_today()
    facts = [
        ("滨城建工集团有限公司", "华正工程监理有限公司", 168_000_000, "in_progress", 45),
        ("滨城市政管道工程公司", "华正工程监理有限公司", 41_500_000, "completed", None),
        ("安居新能源科技公司", "诚信建设监理公司", 11_800_000, "pending", None),
    ]
    works = plan_works(plan)
    for w, (contractor, supervisor, amount, status, progress) in zip(works, facts, strict=False):
        started = status != "pending"
        update_works(
            w,
            plan,
            worker,
            contractor=contractor,
            site_supervisor=supervisor,
            contract_fen=amount,
            complaints_contact="社区居委会 0571-8888 6666（工作日 8:30-17:30）",
            planned_start=today - timedelta(days=20) if started else today + timedelta(days=10),
            planned_end=today + timedelta(days=60) if started else today + timedelta(days=40),
            actual_start=today - timedelta(days=18) if started else None,
            status=status,
            progress=progress,
        )
    first = works[0]
    entries = [
        (24, "before", "施工前：外墙保温层大面积空鼓脱落，屋面防水层老化。", (214, 196, 170)),
        (12, "during", "1号楼脚手架搭设完成，开始铲除旧保温层。", (190, 180, 168)),
        (3, "during", "1号楼东立面新保温板铺贴完成约六成。", (232, 224, 208)),
    ]
    for n, (days, stage, text, colour) in enumerate(entries):
        photo = demo_photo(stage, colour, n)
        add_log_entry(
            first,
            plan,
            worker,
            entry_date=today - timedelta(days=days),
            text=text,
            stage=stage,
            photos=[(f"{stage}.jpg", photo)],
        )
    second = works[1]
    add_log_entry(
        second,
        plan,
        worker,
        entry_date=today - timedelta(days=2),
        text="污水立管更换完成，已通水试验，等待竣工验收。",
        stage="after",
        photos=[("after.jpg", demo_photo("after", (226, 226, 220), 9))],
    )
    # A supervisor: the household of 1号楼1单元 201 volunteered, the committee appointed it.
    supervisor_home = households[2]
    row = volunteer(first, plan, supervisor_home, "退休土建工程师，白天在家")
    appoint(row, plan, committee)
    log_inspection(
        first,
        plan,
        supervisor_home,
        findings="东立面保温板接缝处有两处未抹平，已当面告知施工队；安全网完好。",
        severity="minor",
        photos=[("inspection.jpg", demo_photo("during", (205, 190, 170), 7))],
    )
    # An open issue report with a photo, assigned with a deadline.
    reporter = households[1]
    issue = report_issue(
        plan,
        reporter,
        works=first,
        location="1号楼1单元 一楼楼道口",
        text="拆下的旧保温板堆在楼道口，老人进出要绕行，晚上看不清。",
        photos=[("issue.jpg", demo_photo("during", (170, 160, 150), 11))],
    )
    assign_issue(
        issue,
        plan,
        worker,
        responsible="滨城建工集团有限公司 项目经理 周工",
        deadline=today + timedelta(days=3),
        note="请当天清运并设置警示灯",
    )


def seed_works_demo() -> tuple[Community, list[tuple[Household, str]]] | None:
    """Create the second demo community once (None when it exists); the demo staff reach it."""
    if db.session.scalar(select(Community.id).where(Community.name == COMMUNITY)):
        return None
    community = create_community(COMMUNITY, DISTRICT, "幸福街道", "滨城区和平路 6 号")
    apply_roster_import(
        community, plan_roster_import(community, works_rows()), filename="demo", sha256="-"
    )
    admin = db.session.scalar(select(User).where(User.username == "demo-admin"))
    staff = {}
    for username in ("demo-worker", "demo-committee"):
        user = db.session.scalar(select(User).where(User.username == username))
        ids = {m.community_id for m in user.memberships} | {community.id}
        update_user(
            admin,
            user,
            display_name=user.display_name,
            role=user.role,
            district=user.district,
            communities=[db.session.get(Community, i) for i in ids],
            reachable_ids=ids,
        )
        staff[username] = user
    issued = issue_codes(community)
    plan, households = _published_plan(community)
    _fill_works(plan, households, staff["demo-worker"], staff["demo-committee"])
    printed = {households[1].id, households[2].id, households[0].id}
    return community, [(h, c) for h, c in issued if h.id in printed]
