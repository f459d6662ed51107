"""One vocabulary for every label: each code the app stores has words in Chinese and English,
every audit action written anywhere in app/ has a label, and pages show words, not codes."""

import ast
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import ROLES
from app.communities.electorate import CORRECTION_KINDS
from app.communities.queries import CODE_FILTERS
from app.communities.roster import HEADER_ALIASES
from app.core import vocabulary
from app.core.vocabulary import actor_label, choice_label, form_choices, label, phase_label
from app.funding.models import PAYMENT_METHODS
from app.paper.models import DELIVERY_METHODS
from app.paper.queries import REGISTER_COLUMNS
from app.plans.models import (
    CATEGORIES,
    CONFLICT_POLICIES,
    FUNDING_SOURCES,
    NON_VOTER_POLICIES,
    RESULT_STAGES,
    RULES,
    SHARE_METHODS,
)
from app.plans.phases import PHASES
from app.printing.models import JOB_KINDS, JOB_STATES
from app.printing.notice_data import NOTICE_KINDS
from app.proposals.models import PROPOSAL_SOURCES, PROPOSAL_STATUSES
from app.rules.precedence import REASONS
from app.voting.ballot_list import STATUS_FILTERS
from app.voting.models import CHANNELS, CHOICES
from tests.conftest import sign_in_staff

APP = Path(__file__).resolve().parents[2] / "app"
CJK = re.compile(r"[\u4e00-\u9fff]")

# (vocabulary, the codes the app stores or shows for it)
DOMAINS = [
    ("phase", PHASES),
    ("phase_step", ("drafting", "voting")),
    ("stage_note", ("voting_not_open", "voting_over", *RESULT_STAGES)),
    ("category", CATEGORIES),
    ("rule", RULES),
    ("rule_name", RULES),
    ("conflict_policy", CONFLICT_POLICIES),
    ("non_voter_policy", NON_VOTER_POLICIES),
    ("choice", CHOICES),
    ("measure", (*CHOICES, "participating", "electorate")),
    ("channel", CHANNELS),
    ("channel_ballot", CHANNELS),
    ("reason", REASONS),
    ("ballot_status", ("counted", "counted_conflict", "conflict", "superseded")),
    ("ballot_status_filter", ("", *STATUS_FILTERS)),
    ("proposal_status", PROPOSAL_STATUSES),
    ("proposal_source", PROPOSAL_SOURCES),
    ("funding_source", FUNDING_SOURCES),
    ("correction_kind", CORRECTION_KINDS),
    ("share_method", SHARE_METHODS),
    ("payment_method", PAYMENT_METHODS),
    ("payment_entry", ("payment", "reversal", "replacement")),
    ("delivery_method", DELIVERY_METHODS),
    ("paper_count", REGISTER_COLUMNS),
    ("print_kind", JOB_KINDS),
    ("letter_content", PHASES),
    ("print_title", JOB_KINDS),
    ("job_status", JOB_STATES),
    ("notice_kind", NOTICE_KINDS),
    ("archive_via", ("cli", "web")),
    ("role", ROLES),
    ("code_filter", ("", *CODE_FILTERS)),
    ("roster_field", (*HEADER_ALIASES, "owner_name", "owner_key")),
]


def logged_actions() -> set[str]:
    """Every audit action passed to log_event in app/: literal strings, both arms of a
    conditional, and f"ballot.{channel}" expanded over the channels."""
    actions = set()

    def strings(node) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return strings(node.body) | strings(node.orelse)
        if isinstance(node, ast.JoinedStr):
            pattern = "".join(
                re.escape(part.value) if isinstance(part, ast.Constant) else "{}"
                for part in node.values
            )
            assert pattern == r"ballot\.{}", (
                f"an f-string action this test does not know: {pattern}"
            )
            return {f"ballot.{channel}" for channel in CHANNELS}
        raise AssertionError(f"log_event with a computed action: {ast.dump(node)}")

    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "log_event":
                actions |= strings(node.args[0])
    return actions


@pytest.mark.parametrize(("kind", "codes"), DOMAINS, ids=[kind for kind, _codes in DOMAINS])
def test_every_code_has_words_in_chinese_and_english(app, kind, codes):
    with app.app_context():
        for code in codes:
            assert code in vocabulary.VOCABULARIES[kind], f"{kind}: no label for {code!r}"
            with force_locale("zh_CN"):
                chinese = label(kind, code)
            with force_locale("en"):
                english = label(kind, code)
            assert chinese and CJK.search(chinese), (kind, code, chinese)
            assert english and not CJK.search(english), (kind, code, english)


def test_every_logged_audit_action_has_words(app):
    actions = logged_actions()
    assert {"plan.phase", "ballot.online", "ballot.paper", "payment.correct"} <= actions
    assert actions - set(vocabulary.AUDIT_ACTION_LABELS) == set()
    with app.app_context():
        for action in actions:
            with force_locale("en"):
                assert not CJK.search(vocabulary.audit_action_label(action)), action


def test_unknown_codes_read_as_themselves(app):
    with app.app_context(), force_locale("zh_CN"):
        assert label("phase", "someday") == "someday"
        assert label("category", None) == ""
        assert vocabulary.audit_action_label("old.action") == "old.action"
        assert phase_label(None) == "未建方案" and phase_label("voting") == "表决（二上）"
        assert choice_label(None) == "未填" and choice_label("agree") == "同意"


def test_actors_in_words(app):
    names = {"user:wang": "王芳", "household:12": "3号楼2单元301"}
    with app.app_context():
        with force_locale("zh_CN"):
            assert actor_label("user:wang", names) == "工作人员 王芳"
            assert actor_label("user:li") == "工作人员 li"
            assert actor_label("household:12", names) == "住户 3号楼2单元301"
            assert actor_label("household:13") == "住户 #13"
            assert actor_label("system:schedule") == "系统（按日期）"
            assert actor_label("cli") == "命令行"
            assert actor_label("robot:x") == "robot:x" and actor_label(None) == ""
        with force_locale("en"):
            assert actor_label("user:wang", names) == "Staff 王芳"
            assert actor_label("household:12", names) == "Household 3号楼2单元301"
            assert actor_label("system:schedule") == "System (by date)"
            assert actor_label("cli") == "Command line"


def test_form_choices_follow_the_domain_order(app):
    with app.app_context(), force_locale("zh_CN"):
        assert [c for c, _words in form_choices("role", ROLES)] == list(ROLES)
        assert [str(w) for _c, w in form_choices("category")] == ["基础类", "完善类", "提升类"]


def test_no_label_dictionaries_in_templates():
    templates = Path(__file__).resolve().parents[2] / "templates"
    dictionary = re.compile(r"\{\s*'[a-z_]*'\s*:\s*_\(")  # {'agree': _('同意'), ...}
    pairs = re.compile(r"(?<![\w.])\(\s*'[a-z_]*'\s*,\s*_\(")  # (('agree', _('同意')), ...)
    found = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if dictionary.search(path.read_text(encoding="utf-8"))
        or pairs.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def _visible(html: str) -> str:
    """The page's text without tags (and so without attribute values)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_audit_pages_show_words_not_codes(app, client, factory):
    from app.accounts.models import User
    from app.communities.models import Household
    from app.core.audit import AuditEvent
    from app.extensions import db

    cid = factory.community(buildings=1, units=1, floors=1)
    factory.user("w1", "worker", communities=[cid])
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "w1")).display_name = "王芳"
        db.session.commit()
    code = next(iter(factory.codes(cid).values()))
    app.test_client().get(f"/h/{code}")  # household.signin, by the household
    with app.test_request_context():
        from app.core.audit import log_event

        log_event("plan.phase", "plan", 1, community_id=cid, actor="system:schedule")
        log_event("payment.correct", "payment", 1, community_id=cid, actor="user:w1")
        db.session.commit()
        household = db.session.get(
            Household,
            int(
                db.session.scalar(
                    select(AuditEvent.actor).where(AuditEvent.action == "household.signin")
                ).split(":")[1]
            ),
        )
        actor, address = f"household:{household.id}", household.address_label
    sign_in_staff(client, "w1")
    for url in (f"/c/{cid}/audit", f"/c/{cid}/"):
        text = _visible(client.get(url).get_data(as_text=True))
        for words in ("新建小区", "导入花名册", "发放登录码", "住户登录", "进入新阶段", "更正缴费"):
            assert words in text, (url, words)
        assert f"住户 {address}" in text and "系统（按日期）" in text and "工作人员 王芳" in text
        for code in ("community.create", "codes.issue", "plan.phase", "system:schedule", actor):
            assert not re.search(re.escape(code) + r"(?!\d)", text), (url, code)
        assert "user:w1" not in text and "命令行" in text  # the factory writes as the CLI
    english = _visible(
        client.get(f"/c/{cid}/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    )
    assert "New community" in english and "Household sign-in" in english
    assert "Move to the next phase" in english and "System (by date)" in english
    assert "Staff 王芳" in english and f"Household {address}" in english
