"""The plan file (docs/formats.md): JSON → a validated PlanSpec, or every problem with its place.

Pure: no database. Names of buildings and units are resolved later against the roster.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from app.plans.models import (
    CATEGORIES,
    CONFLICT_POLICIES,
    FUNDING_SOURCES,
    NON_VOTER_POLICIES,
    RULES,
    SHARE_METHODS,
)
from app.rules.counting import parse_rule
from app.rules.shares import ShareError, parse_floor_coefficients, residents_part

PHASE_DATES = ("proposals", "drafting", "voting")


@dataclass
class ItemSpec:
    """One item as the file describes it."""

    key: str
    title: str
    category: str
    rule: str
    rule_params: dict | None
    description: str = ""
    summary: str = ""
    buildings: list[str] = field(default_factory=list)
    units: list[tuple[str, str]] = field(default_factory=list)
    cost_fen: int = 0
    funding: dict[str, int] = field(default_factory=dict)
    share_method: str = "equal"
    floor_coefficients: dict[str, str] | None = None


@dataclass
class PlanSpec:
    """A whole plan file, validated."""

    community: str
    title: str
    description: str
    dates: dict[str, date | None]
    objection_days: int
    conflict_policy: str
    paper_double_entry: bool
    non_voter_policy: str
    items: list[ItemSpec]


class PlanFileError(ValueError):
    """Every problem found in a plan file."""

    def __init__(self, problems: list):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _date(value: Any, where: str, problems: list) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(
            _l("%(where)s：日期“%(value)s”应写成 2026-04-11 的形式。", where=where, value=value)
        )
        return None


def _text(obj: dict, name: str, where: str, problems: list, *, required=True, limit=200) -> str:
    value = obj.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        if required:
            problems.append(_l("%(where)s：缺少“%(field)s”。", where=where, field=name))
        return ""
    if len(value) > limit:
        problems.append(
            _l("%(where)s：“%(field)s”超过 %(n)d 个字。", where=where, field=name, n=limit)
        )
    return value.strip()


def _choice(obj: dict, name: str, options, default, where: str, problems: list) -> str:
    value = obj.get(name, default)
    if value not in options:
        problems.append(
            _l(
                "%(where)s：“%(field)s”为“%(value)s”，应为 %(options)s 之一。",
                where=where,
                field=name,
                value=value,
                options=", ".join(options),
            )
        )
    return value


def _fen(value: Any, where: str, what: str, problems: list) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(
            _l("%(where)s：%(what)s 应为不小于 0 的整数（单位：分）。", where=where, what=what)
        )
        return 0
    return value


def _item(raw: Any, index: int, problems: list) -> ItemSpec | None:
    where = str(_l("第 %(n)d 个项目", n=index))
    if not isinstance(raw, dict):
        problems.append(_l("%(where)s 不是一个对象。", where=where))
        return None
    key = _text(raw, "key", where, problems, limit=12)
    if key:
        where = str(_l("项目 %(key)s", key=key))
    rule = _choice(raw, "rule", RULES, "cc278_major", where, problems)
    params = raw.get("custom") if rule == "custom" else None
    if rule == "custom":
        try:
            parse_rule("custom", params if isinstance(params, dict) else None)
        except (ValueError, TypeError) as exc:
            problems.append(
                _l("%(where)s：自定义表决规则无效（%(error)s）。", where=where, error=exc)
            )
    scope = raw.get("scope") or {}
    buildings = [str(b) for b in scope.get("buildings", [])] if isinstance(scope, dict) else []
    units = []
    for pair in scope.get("units", []) if isinstance(scope, dict) else []:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            units.append((str(pair[0]), str(pair[1])))
        else:
            problems.append(_l('%(where)s：范围中的单元应写成 ["3号楼", "2单元"]。', where=where))
    cost = _fen(raw.get("cost_fen", 0), where, "cost_fen", problems)
    funding_raw = raw.get("funding") or {}
    funding = {}
    for source, amount in funding_raw.items():
        if source not in FUNDING_SOURCES:
            problems.append(
                _l(
                    "%(where)s：资金来源“%(source)s”未知，应为 %(options)s 之一。",
                    where=where,
                    source=source,
                    options=", ".join(FUNDING_SOURCES),
                )
            )
        funding[source] = _fen(amount, where, f"funding.{source}", problems)
    method = _choice(raw, "share_method", SHARE_METHODS, "equal", where, problems)
    coefficients = None
    if method in ("floor", "floor_flat"):
        table = raw.get("floor_coefficients")
        if not isinstance(table, dict) or not table:
            problems.append(
                _l("%(where)s：按楼层分摊需要 floor_coefficients 楼层系数表。", where=where)
            )
        else:
            try:
                coefficients = {str(k): str(v) for k, v in parse_floor_coefficients(table).items()}
            except ShareError as exc:
                problems.append(_l("%(where)s：%(error)s", where=where, error=exc.message))
    try:
        residents_part(cost, funding)
    except ShareError as exc:
        problems.append(_l("%(where)s：%(error)s", where=where, error=exc.message))
    return ItemSpec(
        key=key,
        title=_text(raw, "title", where, problems),
        summary=_text(raw, "summary", where, problems, required=False),
        description=_text(raw, "description", where, problems, required=False, limit=5000),
        category=_choice(raw, "category", CATEGORIES, None, where, problems),
        rule=rule,
        rule_params=params if rule == "custom" else None,
        buildings=buildings,
        units=units,
        cost_fen=cost,
        funding=funding,
        share_method=method,
        floor_coefficients=coefficients,
    )


def parse_plan_file(data: bytes) -> PlanSpec:
    """Parse and validate a plan file; raise PlanFileError listing every problem."""
    problems: list = []
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFileError([_l("方案文件不是有效的 JSON（%(error)s）。", error=exc)]) from exc
    if not isinstance(raw, dict):
        raise PlanFileError([_l("方案文件应为一个 JSON 对象。")])
    where = str(_l("方案"))
    phases = raw.get("phases") or {}
    dates = {}
    for name in PHASE_DATES:
        span = phases.get(name) or {}
        dates[f"{name}_opens"] = _date(span.get("opens"), f"phases.{name}.opens", problems)
        dates[f"{name}_closes"] = _date(span.get("closes"), f"phases.{name}.closes", problems)
        if (
            dates[f"{name}_opens"]
            and dates[f"{name}_closes"]
            and (dates[f"{name}_closes"] < dates[f"{name}_opens"])
        ):
            problems.append(_l("phases.%(name)s：结束日期早于开始日期。", name=name))
    objection_days = phases.get("objection_days", 7)
    if (
        isinstance(objection_days, bool)
        or not isinstance(objection_days, int)
        or not (0 <= objection_days <= 60)
    ):
        problems.append(_l("phases.objection_days 应为 0 到 60 之间的整数。"))
        objection_days = 7
    policies = raw.get("policies") or {}
    items_raw = raw.get("items") or []
    if not isinstance(items_raw, list):
        problems.append(_l("items 应为列表。"))
        items_raw = []
    items = [i for i in (_item(r, n, problems) for n, r in enumerate(items_raw, 1)) if i]
    seen = set()
    for item in items:
        if item.key in seen:
            problems.append(_l("项目编号 %(key)s 重复。", key=item.key))
        seen.add(item.key)
    spec = PlanSpec(
        community=_text(raw, "community", where, problems, required=False, limit=120),
        title=_text(raw, "title", where, problems),
        description=_text(raw, "description", where, problems, required=False, limit=5000),
        dates=dates,
        objection_days=objection_days,
        conflict_policy=_choice(
            policies, "conflict_policy", CONFLICT_POLICIES, "paper_prevails", "policies", problems
        ),
        paper_double_entry=bool(policies.get("paper_double_entry", True)),
        non_voter_policy=_choice(
            policies, "non_voter_policy", NON_VOTER_POLICIES, "none", "policies", problems
        ),
        items=items,
    )
    if problems:
        raise PlanFileError(problems)
    return spec
