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
    ITEM_KINDS,
    NON_VOTER_POLICIES,
    OPTION_RULES,
    RULES,
    SHARE_METHODS,
)
from app.plans.planschema import OPTION_SHARE_METHODS, PHASE_DATES, schema_problems
from app.rules.counting import parse_rule
from app.rules.shares import ShareError, parse_floor_coefficients, residents_part


@dataclass
class OptionSpec:
    """One option of an item (方案比选) as the file describes it."""

    key: str
    title: str
    description: str = ""
    cost_fen: int = 0
    funding: dict[str, int] = field(default_factory=dict)
    share_method: str = "equal"
    floor_coefficients: dict[str, str] | None = None


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
    kind: str = "vote"
    options: list[OptionSpec] = field(default_factory=list)
    option_rule: str | None = None
    price_fen: int | None = None
    price_fen_per_m2: int | None = None
    subsidy_fen: int = 0
    min_uptake: int | None = None
    signup_closes: date | None = None


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


def _money(raw: dict, where: str, at: tuple, problems: list, flawed: set[tuple], methods) -> tuple:
    """(cost, funding, share method, floor table) of an item or an option, checked."""
    cost = _fen(raw.get("cost_fen", 0))
    funding_raw = raw.get("funding") if isinstance(raw.get("funding"), dict) else {}
    funding = {
        source: _fen(amount) for source, amount in funding_raw.items() if source in FUNDING_SOURCES
    }
    method = _choice(raw, "share_method", methods, "equal")
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
    return cost, funding, method, coefficients


# Marks a paper ballot already uses (docs/formats.md): an option key or title may not be one.
RESERVED_MARKS = {
    "同意",
    "反对",
    "弃权",
    "agree",
    "oppose",
    "abstain",
    "参加",
    "不参加",
    "yes",
    "no",
}
MONEY_FIELDS = ("cost_fen", "funding", "share_method", "floor_coefficients")
OPT_IN_FIELDS = ("price_fen", "price_fen_per_m2", "subsidy_fen", "min_uptake", "signup_closes")


def _options(raw: dict, where: str, at: tuple, problems: list, flawed: set[tuple]) -> list:
    """The item's options (方案比选), each checked like an item's money; keys and titles unique
    in the item and unlike the marks 同意/反对/弃权, as a paper ballot may be marked with either."""
    listed = raw.get("options") if isinstance(raw.get("options"), list) else []
    options, seen = [], {}
    for n, option in enumerate(listed):
        if not isinstance(option, dict):
            continue  # the schema names it
        key, title = _text(option, "key"), _text(option, "title")
        here = f"{where} options[{n}]" + (f" {key}" if key else "")
        cost, funding, method, table = _money(
            option, here, (*at, "options", n), problems, flawed, OPTION_SHARE_METHODS
        )
        for name, value in (("key", key), ("title", title)):
            if value.lower() in RESERVED_MARKS:
                problems.append(
                    _l(
                        "%(where)s：%(field)s 不能是“%(value)s”。",
                        where=here,
                        field=name,
                        value=value,
                    )
                )
            elif value and value.lower() in seen:
                problems.append(
                    _l(
                        "%(where)s：“%(value)s”与 %(other)s 重复（纸质票上可写编号或名称，"
                        "两者都不能重复）。",
                        where=here,
                        value=value,
                        other=seen[value.lower()],
                    )
                )
            if value:
                seen.setdefault(value.lower(), f"options[{n}].{name}")
        options.append(
            OptionSpec(
                key=key,
                title=title,
                description=_text(option, "description"),
                cost_fen=cost,
                funding=funding,
                share_method=method,
                floor_coefficients=table,
            )
        )
    return options


def _opt_in(raw: dict, where: str, problems: list) -> dict:
    """An opt-in item's price fields (design §3b): exactly one price form, checked."""
    fixed, per_m2 = raw.get("price_fen"), raw.get("price_fen_per_m2")
    if (fixed is None) == (per_m2 is None):
        problems.append(
            _l(
                "%(where)s：户内自选项目（kind: opt_in）要写 price_fen（每户固定价）"
                "或 price_fen_per_m2（每平方米单价）其中一个。",
                where=where,
            )
        )
    for name in (*MONEY_FIELDS, "options", "option_rule"):
        if name in raw:
            problems.append(
                _l(
                    "%(where)s：户内自选项目不表决、不分摊，不能写 %(field)s（价格写在 "
                    "price_fen 或 price_fen_per_m2）。",
                    where=where,
                    field=name,
                )
            )
    closes = _date(raw.get("signup_closes"), f"{where} signup_closes", problems)
    return {
        "price_fen": _fen(fixed) if fixed is not None else None,
        "price_fen_per_m2": _fen(per_m2) if per_m2 is not None else None,
        "subsidy_fen": _fen(raw.get("subsidy_fen", 0)),
        "min_uptake": raw.get("min_uptake") if isinstance(raw.get("min_uptake"), int) else None,
        "signup_closes": closes,
    }


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
    kind = _choice(raw, "kind", ITEM_KINDS, "vote")
    extra: dict = {}
    if kind == "opt_in":
        extra = _opt_in(raw, where, problems)
    else:
        stray = [name for name in OPT_IN_FIELDS if name in raw]
        if stray:
            problems.append(
                _l(
                    "%(where)s：%(fields)s 只用于户内自选项目（kind: opt_in）。",
                    where=where,
                    fields=", ".join(stray),
                )
            )
    options = _options(raw, where, at, problems, flawed) if kind == "vote" else []
    if options:
        stray = [name for name in MONEY_FIELDS if name in raw]
        if stray:
            problems.append(
                _l(
                    "%(where)s：有比选方案的项目，费用和分摊写在每个方案里，不能在项目上写 "
                    "%(fields)s。",
                    where=where,
                    fields=", ".join(stray),
                )
            )
        extra["option_rule"] = _choice(raw, "option_rule", OPTION_RULES, "plurality")
    elif "option_rule" in raw and kind == "vote":
        problems.append(
            _l("%(where)s：option_rule 只用于有比选方案（options）的项目。", where=where)
        )
    cost, funding, method, coefficients = _money(raw, where, at, problems, flawed, SHARE_METHODS)
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
        kind=kind,
        options=options,
        **extra,
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
    voting = dates["voting_opens"]
    for item in items:
        if item.signup_closes and voting and item.signup_closes < voting:
            problems.append(_l("项目 %(key)s：signup_closes 早于表决开始日期。", key=item.key))
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
