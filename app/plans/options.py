"""Writes on an item's options (方案比选): add, edit, reorder and remove them, pick the rule.

An item offers 2–5 options, each with its own cost, funding and share method (design §3a), and
then has no money of its own. Options change only while the plan is drafted (like the item's
other fields); opening voting is refused while an item has a single option
(`options_problems`). The invariant `has_options ⇔ option_rule is set` is kept here: the first
option sets the rule to plurality, removing the last clears it.
"""

import json
import re

from flask_babel import lazy_gettext as _l

from app.core.audit import log_event
from app.core.errors import DomainError
from app.extensions import db
from app.plans.items import ensure_editable
from app.plans.models import FUNDING_SOURCES, OPTION_RULES, FundingSource, Item, ItemOption, Plan
from app.plans.planfile import RESERVED_MARKS
from app.plans.planschema import MAX_OPTIONS, MIN_OPTIONS, OPTION_SHARE_METHODS
from app.rules.shares import ShareError, parse_floor_coefficients, residents_part

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,12}$")


def _state(option: ItemOption) -> dict:
    """An option's fields as the audit trail records them."""
    return {
        "item": option.item_id,
        "key": option.key,
        "position": option.position,
        "title": option.title,
        "description": option.description,
        "cost_fen": option.cost_fen,
        "funding": {f.source: f.amount_fen for f in option.funding},
        "share_method": option.share_method,
        "floor_coefficients": option.floor_coefficients,
    }


def _check(item: Item, option: ItemOption | None, fields: dict) -> None:
    """Refuse an option the plan file would refuse, naming each problem."""
    problems = []
    key, title = fields["key"], fields["title"]
    if not KEY_PATTERN.match(key):
        problems.append(_l("方案编号只能用字母、数字、横线，最多 12 个字符，如 a。"))
    if not title:
        problems.append(_l("请填写方案名称。"))
    for value in (key, title):
        if value.lower() in RESERVED_MARKS:
            problems.append(_l("方案编号和名称不能是“%(v)s”（纸质票上的标记）。", v=value))
    for other in item.options:
        if other is option:
            continue
        if key.lower() in (other.key.lower(), other.title.lower()):
            problems.append(_l("方案编号 %(k)s 与方案 %(o)s 重复。", k=key, o=other.key))
        if title.lower() in (other.key.lower(), other.title.lower()):
            problems.append(_l("方案名称“%(t)s”与方案 %(o)s 重复。", t=title, o=other.key))
    if fields["share_method"] not in OPTION_SHARE_METHODS:
        problems.append(_l("方案的分摊方式不能是按户上传金额。"))
    try:
        residents_part(fields["cost_fen"], fields["funding"])
    except ShareError as exc:
        problems.append(exc.message)
    if fields["share_method"] in ("floor", "floor_flat"):
        table = fields.get("floor_coefficients")
        if not table:
            problems.append(_l("按楼层分摊需要楼层系数表。"))
        else:
            try:
                parse_floor_coefficients(table)
            except ShareError as exc:
                problems.append(exc.message)
    if problems:
        raise DomainError(*problems)


def _editable(item: Item) -> None:
    ensure_editable(item.plan)
    if item.kind != "vote":
        raise DomainError(_l("户内自选项目不表决，没有比选方案。"))


def _write(option: ItemOption, fields: dict) -> None:
    option.key = fields["key"]
    option.title = fields["title"]
    option.description = fields.get("description", "")
    option.cost_fen = fields["cost_fen"]
    option.share_method = fields["share_method"]
    table = (
        fields.get("floor_coefficients") if option.share_method in ("floor", "floor_flat") else None
    )
    option.floor_coefficients = (
        json.dumps({str(k): str(v) for k, v in parse_floor_coefficients(table).items()})
        if table
        else None
    )
    amounts = {s: fen for s, fen in fields["funding"].items() if s in FUNDING_SOURCES and fen}
    kept = []
    for row in option.funding:
        if row.source in amounts:
            row.amount_fen = amounts.pop(row.source)
            kept.append(row)
    for source, fen in amounts.items():
        kept.append(
            FundingSource(
                community_id=option.community_id,
                item_id=option.item_id,
                source=source,
                amount_fen=fen,
            )
        )
    option.funding = kept


def add_option(item: Item, **fields) -> ItemOption:
    """Add an option at the end; the item's first option sets its rule to plurality."""
    _editable(item)
    if len(item.options) >= MAX_OPTIONS:
        raise DomainError(_l("一个项目最多 %(n)d 个方案。", n=MAX_OPTIONS))
    if not item.options and (item.cost_fen or item.funding):
        raise DomainError(
            _l(
                "有比选方案的项目，费用写在各个方案里。请先在“资金安排”页把项目本身的造价和"
                "资金来源清零，再添加方案。"
            )
        )
    _check(item, None, fields)
    option = ItemOption(community_id=item.community_id, item_id=item.id, position=len(item.options))
    option.item = item
    _write(option, fields)
    db.session.add(option)
    if item.option_rule is None:
        item.option_rule = "plurality"
    db.session.flush()
    log_event(
        "option.create", "item_option", option.id, community_id=item.community_id,
        after=_state(option),
    )  # fmt: skip
    return option


def update_option(option: ItemOption, **fields) -> None:
    """Change an option's key, title, description, cost, funding or share method."""
    _editable(option.item)
    _check(option.item, option, fields)
    before = _state(option)
    _write(option, fields)
    db.session.flush()
    log_event(
        "option.update", "item_option", option.id, community_id=option.community_id,
        before=before, after=_state(option),
    )  # fmt: skip


def delete_option(option: ItemOption) -> None:
    """Remove an option; the last one removed takes the item's option rule with it."""
    item = option.item
    _editable(item)
    before = _state(option)
    item.options.remove(option)
    for position, other in enumerate(item.options):
        other.position = position
    if not item.options:
        item.option_rule = None
    db.session.flush()
    log_event(
        "option.delete", "item_option", option.id, community_id=item.community_id, before=before
    )


def move_option(option: ItemOption, step: int) -> None:
    """Move an option one place up (-1) or down (+1) in the item's list."""
    item = option.item
    _editable(item)
    options = list(item.options)
    index = options.index(option)
    target = index + (1 if step > 0 else -1)
    if not 0 <= target < len(options):
        return
    options[index], options[target] = options[target], options[index]
    for position, other in enumerate(options):
        other.position = position
    db.session.flush()
    log_event(
        "option.move", "item_option", option.id, community_id=item.community_id,
        after={"order": [o.key for o in options]},
    )  # fmt: skip


def set_option_rule(item: Item, rule: str) -> None:
    """How the item with options picks one: plurality or threshold (docs/counting.md)."""
    _editable(item)
    if rule not in OPTION_RULES:
        raise DomainError(_l("未知的方案比选规则。"))
    if not item.options:
        raise DomainError(_l("先添加方案，再选择比选规则。"))
    before = item.option_rule
    item.option_rule = rule
    db.session.flush()
    log_event(
        "item.option_rule", "item", item.id, community_id=item.community_id,
        before={"option_rule": before}, after={"option_rule": rule},
    )  # fmt: skip


def options_problems(plan: Plan) -> list:
    """Why the plan's options stop voting from opening: an item with a single option."""
    return [
        _l(
            "项目 %(key)s 只有 1 个方案；比选至少要 %(n)d 个方案，或删除这个方案。",
            key=item.key,
            n=MIN_OPTIONS,
        )
        for item in plan.items
        if len(item.options) == 1
    ]
