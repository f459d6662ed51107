"""The plan file (docs/formats.md): JSON → a validated PlanSpec, or every problem with its place.

Two passes, both always run so every problem is listed at once: the JSON Schema
(app.plans.planschema: fields, types, allowed values, unknown fields named with the nearest
known one), then the value rules the schema cannot state (dates, funding within the cost, floor
tables, custom rule fractions, unique keys). Pure: no database. Names of buildings and units are
resolved later against the roster.
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
from app.plans.planschema import PHASE_DATES, schema_problems
from app.rules.counting import parse_rule
from app.rules.shares import ShareError, parse_floor_coefficients, residents_part


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


# Fields, types, lengths and allowed values are the schema's to refuse (schema_problems); the
# readers below take what they find, falling back quietly where the schema already spoke.


def _text(obj: dict, name: str) -> str:
    value = obj.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _choice(obj: dict, name: str, options, default):
    value = obj.get(name, default)
    return value if value in options else default


def _fen(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _sound(flawed: set[tuple], place: tuple) -> bool:
    """No schema problem lies at or under this place: its values may be checked further."""
    return not any(path[: len(place)] == place for path in flawed)


def _item(raw: Any, index: int, problems: list, flawed: set[tuple]) -> ItemSpec | None:
    if not isinstance(raw, dict):
        return None  # the schema names it
    key = _text(raw, "key")
    # Named by its place in the file (as the schema's messages are) and by its key.
    where = f"items[{index - 1}] " + str(_l("项目 %(key)s", key=key) if key else "")
    rule = _choice(raw, "rule", RULES, "cc278_major")
    params = raw.get("custom") if rule == "custom" else None
    at = ("items", index - 1)
    if rule == "custom" and isinstance(params, dict) and _sound(flawed, (*at, "custom")):
        try:
            parse_rule("custom", params)
        except (ValueError, TypeError) as exc:
            problems.append(
                _l("%(where)s：自定义表决规则无效（%(error)s）。", where=where, error=exc)
            )
    elif rule == "custom" and "custom" not in raw:
        problems.append(_l("%(where)s：自定义规则（rule: custom）需要 custom 参数。", where=where))
    elif "custom" in raw and rule != "custom":
        problems.append(
            _l(
                "%(where)s：只有 rule 为 custom 时才能写 custom 参数（现为 %(rule)s）。",
                where=where,
                rule=rule,
            )
        )
    scope = raw.get("scope") if isinstance(raw.get("scope"), dict) else {}
    listed = {k: v if isinstance(v, list) else [] for k, v in scope.items()}
    buildings = [b for b in listed.get("buildings", []) if isinstance(b, str)]
    units = [
        (pair[0], pair[1])
        for pair in listed.get("units", [])
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
    ]
    cost = _fen(raw.get("cost_fen", 0))
    funding_raw = raw.get("funding") if isinstance(raw.get("funding"), dict) else {}
    funding = {
        source: _fen(amount) for source, amount in funding_raw.items() if source in FUNDING_SOURCES
    }
    method = _choice(raw, "share_method", SHARE_METHODS, "equal")
    coefficients = None
    if method in ("floor", "floor_flat"):
        table = raw.get("floor_coefficients")
        if not _sound(flawed, (*at, "floor_coefficients")):
            pass  # the schema names the floor or the coefficient that is not a number
        elif not isinstance(table, dict) or not table:
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
        title=_text(raw, "title"),
        summary=_text(raw, "summary"),
        description=_text(raw, "description"),
        category=_choice(raw, "category", CATEGORIES, None),
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
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFileError([_l("方案文件不是有效的 JSON（%(error)s）。", error=exc)]) from exc
    if not isinstance(raw, dict):
        raise PlanFileError([_l("方案文件应为一个 JSON 对象。")])
    found = schema_problems(raw)
    problems: list = [message for _path, message in found]
    flawed = {path for path, _message in found}
    phases = raw.get("phases") if isinstance(raw.get("phases"), dict) else {}
    dates = {}
    for name in PHASE_DATES:
        span = phases.get(name) if isinstance(phases.get(name), dict) else {}
        dates[f"{name}_opens"] = _date(span.get("opens"), f"phases.{name}.opens", problems)
        dates[f"{name}_closes"] = _date(span.get("closes"), f"phases.{name}.closes", problems)
        if (
            dates[f"{name}_opens"]
            and dates[f"{name}_closes"]
            and (dates[f"{name}_closes"] < dates[f"{name}_opens"])
        ):
            problems.append(_l("phases.%(name)s：结束日期早于开始日期。", name=name))
    objection_days = phases.get("objection_days", 7)
    if isinstance(objection_days, bool) or not isinstance(objection_days, int):
        objection_days = 7  # the schema names it
    policies = raw.get("policies") if isinstance(raw.get("policies"), dict) else {}
    items_raw = raw.get("items") if isinstance(raw.get("items"), list) else []
    items = [i for i in (_item(r, n, problems, flawed) for n, r in enumerate(items_raw, 1)) if i]
    seen = set()
    for item in items:
        if item.key in seen:
            problems.append(_l("项目编号 %(key)s 重复。", key=item.key))
        seen.add(item.key)
    spec = PlanSpec(
        community=_text(raw, "community"),
        title=_text(raw, "title"),
        description=_text(raw, "description"),
        dates=dates,
        objection_days=objection_days,
        conflict_policy=_choice(policies, "conflict_policy", CONFLICT_POLICIES, "paper_prevails"),
        paper_double_entry=policies.get("paper_double_entry", True) is not False,
        non_voter_policy=_choice(policies, "non_voter_policy", NON_VOTER_POLICIES, "none"),
        items=items,
    )
    if problems:
        raise PlanFileError(problems)
    return spec
