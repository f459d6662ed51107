"""`flask demo seed`: a realistic demo community with staff accounts and household codes."""

import json
import random
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.operations import create_user
from app.communities.codes import issue_codes, rotate_code
from app.communities.models import Community, Household
from app.communities.operations import apply_roster_import, create_community, plan_roster_import
from app.communities.roster import RosterRow
from app.core.codes import format_code
from app.core.db import transactional
from app.demo.works import COMMUNITY as WORKS_COMMUNITY
from app.demo.works import seed_works_demo
from app.extensions import db
from app.plans.items import import_plan
from app.plans.planfile import parse_plan_file
from app.plans.queries import items_for_household, local_today
from app.plans.workflow import set_phase
from app.voting.operations import cast_online_ballot

PLAN_FILE = Path(__file__).resolve().parent / "data" / "plan.json"

demo_cli = AppGroup("demo", help="Demo data.")

COMMUNITY = "幸福里小区"
DISTRICT = "滨城区"
PASSWORD = "coplan-demo-2026"
STAFF = (
    ("demo-admin", "admin"),
    ("demo-district", "district"),
    ("demo-worker", "worker"),
    ("demo-committee", "committee"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
GIVEN = "秀英桂兰玉兰建国建华志强明华国强丽娟海燕春梅德福福生宝华淑珍凤英立新永红卫东秀珍金凤"


def demo_rows(seed: int = 2026) -> list[RosterRow]:
    """About 250 households: 8 buildings, 2-3 units, 6 floors, 2 per floor, shared owners."""
    rng = random.Random(seed)
    rows, n = [], 1
    multi_owner = ("DEMO-PRIVATE-0001", "陈建华")
    housing_office = ("12330100MB0000001X", "滨城区房管所")
    for b in range(1, 9):
        for u in range(1, (4 if b in (3, 7) else 3)):
            for floor in range(1, 7):
                for door in (1, 2):
                    n += 1
                    room = f"{floor}0{door}"
                    area = Decimal(rng.choice(range(4800, 9800))) / 100
                    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
                    owner_id, phone = None, None
                    if b == 8:  # the old work-unit building: public housing
                        owner_id, name = housing_office
                    elif (b, u, door) == (2, 1, 1) and floor <= 4:
                        owner_id, name = multi_owner
                    if rng.random() < 0.6:
                        phone = f"13{rng.randrange(10**9):09d}"
                    rows.append(
                        RosterRow(
                            row=n,
                            building=f"{b}号楼",
                            unit=f"{u}单元",
                            room=room,
                            floor=floor,
                            area=area,
                            owner_name=name,
                            owner_id=owner_id,
                            phone=phone,
                        )
                    )
    return rows


def seed_demo_plan(community: Community) -> None:
    """The example plan (tests/data/plan-options-example.json's items: one item with options,
    one opt-in item), voting open around today."""
    today = local_today()
    raw = json.loads(PLAN_FILE.read_text(encoding="utf-8"))
    raw["community"] = community.name
    raw["phases"] = {
        "proposals": {
            "opens": str(today - timedelta(days=40)),
            "closes": str(today - timedelta(days=25)),
        },
        "drafting": {
            "opens": str(today - timedelta(days=24)),
            "closes": str(today - timedelta(days=4)),
        },
        "voting": {
            "opens": str(today - timedelta(days=3)),
            "closes": str(today + timedelta(days=11)),
        },
        "objection_days": 7,
    }
    for item in raw["items"]:
        if "signup_closes" in item:  # sign-ups close with the vote
            item["signup_closes"] = raw["phases"]["voting"]["closes"]
    plan = import_plan(community, parse_plan_file(json.dumps(raw).encode()))
    set_phase(plan, "voting", reason="demo")
    seed_demo_ballots(plan)


def seed_demo_ballots(plan, seed: int = 278) -> int:
    """Online ballots from about half the households, mostly agreeing, so results have data."""
    rng = random.Random(seed)
    households = db.session.scalars(
        select(Household).where(Household.community_id == plan.community_id).order_by(Household.id)
    ).all()
    cast = 0
    for household in households[3:]:  # the three printed demo households have not voted yet
        if rng.random() > 0.55:
            continue
        items = items_for_household(plan, household)
        choices = {i.id: rng.choices(("agree", "oppose", "abstain"), (8, 1, 1))[0] for i in items}
        pledges = {i for i, c in choices.items() if c == "agree" and rng.random() < 0.7}
        # An agree on an item with options marks one of them, the first ones more often.
        options = {
            i.id: rng.choices([o.id for o in i.options], range(len(i.options) + 1, 1, -1))[0]
            for i in items
            if i.has_options and choices[i.id] == "agree"
        }
        cast_online_ballot(
            plan, household, choices, pledges, f"demo-{household.id}", options=options
        )
        cast += 1
    return cast


def fresh_codes(community: Community) -> list[tuple[Household, str]]:
    """New sign-in codes for the community's first three households (the printed ones)."""
    households = db.session.scalars(
        select(Household)
        .where(Household.community_id == community.id)
        .order_by(Household.id)
        .limit(3)
    ).all()
    return [(h, rotate_code(h, "demo seed")) for h in households]


@transactional
def seed_demo() -> tuple[Community, list[tuple[Household, str]], bool]:
    """Create the demo once; on later runs give three demo households fresh codes."""
    community = db.session.scalar(select(Community).where(Community.name == COMMUNITY))
    created = community is None
    if created:
        community = create_community(COMMUNITY, DISTRICT, "幸福街道", "滨城区幸福路 18 号")
        plan = plan_roster_import(community, demo_rows())
        apply_roster_import(community, plan, filename="demo", sha256="-")
        for username, role in STAFF:
            create_user(
                username,
                PASSWORD,
                role,
                communities=[community] if role in ("worker", "committee") else [],
                district=DISTRICT if role == "district" else "",
                display_name={
                    "admin": "系统管理员",
                    "district": "区住建局 李科长",
                    "worker": "社区 王书记",
                    "committee": "业委会 张主任",
                }[role],
            )
        issued = issue_codes(community)[:3]
        seed_demo_plan(community)
    else:
        for username, _role in STAFF:
            user = db.session.scalar(select(User).where(User.username == username))
            if user:
                user.set_password(PASSWORD)
        issued = fresh_codes(community)
    return community, issued, created


@transactional
def seed_works_community() -> tuple[Community, list[tuple[Household, str]]]:
    """The second demo community, in `works` (app.demo.works): created once, fresh codes after."""
    seeded = seed_works_demo()
    if seeded is not None:
        return seeded
    community = db.session.scalar(select(Community).where(Community.name == WORKS_COMMUNITY))
    return community, fresh_codes(community)


@demo_cli.command("seed")
@click.option("--url", default="http://127.0.0.1:5000", help="Where the server will listen.")
def demo_seed(url):
    """Seed the demo community (once) and print staff sign-ins and household codes."""
    if current_app.config.get("PRODUCTION"):
        # The demo admin reaches every community with a published password.
        click.echo("refused: the demo is never seeded with COPLAN_ENV=production", err=True)
        sys.exit(1)
    community, issued, created = seed_demo()
    works_community, works_issued = seed_works_community()
    click.echo(("created" if created else "demo already present in") + f" {community.name}")
    click.echo(f"\nCoPlan: {url}/")
    click.echo(f"Staff sign-in: {url}/staff/signin  password for all: {PASSWORD}")
    for username, role in STAFF:
        click.echo(f"  {username:16} ({role})")
    click.echo("Household sign-in codes (type on the home page, or open the link):")
    for household, code in issued:
        click.echo(f"  {household.address_label:14} {format_code(code)}  {url}/h/{code}")
    click.echo(f"\n{works_community.name}: the plan is in the works (施工), photos, a supervisor")
    click.echo("and an open issue report. Household sign-in codes:")
    for household, code in works_issued:
        click.echo(f"  {household.address_label:14} {format_code(code)}  {url}/h/{code}")


commands = [demo_cli]
