"""The plan file's JSON Schema (draft 2020-12), built from the same constants the importer uses.

`plan_schema()` is what `docs/plan.schema.json` holds (`flask plan schema` writes it; a test keeps
the two equal), so an editor that reads JSON Schema checks and completes plan files as they are
written. `schema_problems()` validates a parsed file with jsonschema and words every problem for
the user: where it is (``items[2].scopes``), what is wrong, and for an unknown field the nearest
known one. Value rules the schema cannot state (dates in order, funding within the cost, floor
tables, custom rule fractions, unique keys) stay in `app.plans.planfile`.
"""

import difflib
import functools
import json
from typing import Any

from flask_babel import lazy_gettext as _l
from jsonschema import Draft202012Validator

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

PHASE_DATES = ("proposals", "drafting", "voting")
FLOOR_PATTERN = "^-?[0-9]+$"
NUMBER_PATTERN = "^-?[0-9]+(\\.[0-9]+)?$"
CUSTOM_FIELDS = ("quorum", "approval", "strict", "base", "dimensions")
# An item offers 2-5 options (方案比选, design §3a); an option's shares are computed, never
# uploaded, so the custom method is not one of its methods.
MIN_OPTIONS, MAX_OPTIONS = 2, 5
OPTION_SHARE_METHODS = tuple(m for m in SHARE_METHODS if m != "custom")


def _text(description: str, max_length: int, *, min_length: int = 0) -> dict:
    schema: dict[str, Any] = {"type": "string", "description": description}
    if min_length:
        schema["pattern"] = r"\S"  # something besides spaces
    schema["maxLength"] = max_length
    return schema


def _fen(description: str) -> dict:
    return {"type": "integer", "minimum": 0, "description": description}


def _closed(properties: dict, *, required=(), description: str = "") -> dict:
    """An object that takes exactly these properties: any other is refused by name."""
    schema: dict[str, Any] = {"type": "object"}
    if description:
        schema["description"] = description
    schema["properties"] = properties
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    return schema


def _span(name: str) -> dict:
    date = {
        "type": ["string", "null"],
        "description": "A date as YYYY-MM-DD, in the community's time zone.",
    }
    return _closed(
        {
            "opens": {**date, "description": f"First day of {name} (YYYY-MM-DD)."},
            "closes": {**date, "description": f"Last day of {name}, included (YYYY-MM-DD)."},
        },
        description=f"The dates of the {name} phase.",
    )


def _number_text(description: str) -> dict:
    return {"type": ["string", "number"], "description": description}


def _money(methods) -> dict:
    """Cost, funding and share method: of an item, or of one of its options."""
    return {
        "cost_fen": _fen("Total cost in fen (1 yuan = 100 fen)."),
        "funding": _closed(
            {source: _fen(f"From {source}, in fen.") for source in FUNDING_SOURCES},
            description="Funding other than the residents' part, in fen, by source; the "
            "residents pay cost_fen minus these.",
        ),
        "share_method": {
            "enum": list(methods),
            "default": "equal",
            "description": "How the residents' part is split over the households in scope.",
        },
        "floor_coefficients": {
            "type": "object",
            "propertyNames": {"pattern": FLOOR_PATTERN},
            "additionalProperties": {
                "type": ["number", "string"],
                "pattern": NUMBER_PATTERN,
                "description": 'Coefficient of this floor, e.g. 1.2 or "1.2".',
            },
            "description": 'Floor → coefficient, e.g. {"1": 0, "3": 1.0}; for the floor '
            "and floor_flat methods.",
        },
    }


def plan_schema() -> dict:
    """The plan file's JSON Schema, as a dict (serialise it with sort_keys=False)."""
    custom = _closed(
        {
            "quorum": _number_text(
                'Share of the electorate that must take part, as a fraction ("2/3") or '
                "number; 0 means no quorum."
            ),
            "approval": _number_text('Share that must agree, e.g. "1/2" or "3/4".'),
            "strict": {
                "type": "boolean",
                "description": "true: more than the share (过半数); false: at least (以上).",
            },
            "base": {
                "enum": ["participating", "electorate"],
                "description": "Approval measured against those taking part or the whole "
                "electorate.",
            },
            "dimensions": {
                "enum": ["headcount", "area", "both"],
                "description": "Count owners, floor area, or both (Civil Code art. 278: both).",
            },
        },
        required=CUSTOM_FIELDS,
        description='Parameters of a "custom" rule.',
    )
    option = _closed(
        {
            "key": _text(
                'Short key, unique in the item, e.g. "a"; a paper ballot may be marked with it.',
                12,
                min_length=1,
            ),
            "title": _text("Title residents see, e.g. 「方案一：无机房电梯」.", 200, min_length=1),
            "description": _text("What this option is.", 5000),
            **_money(OPTION_SHARE_METHODS),
        },
        required=("key", "title"),
        description="One alternative of the item (方案比选).",
    )
    item = _closed(
        {
            "key": _text('Short key, unique in the plan, e.g. "A1".', 12, min_length=1),
            "title": _text("Title residents see.", 200, min_length=1),
            "summary": _text("One-line summary.", 200),
            "description": _text("Longer description.", 5000),
            "category": {
                "enum": list(CATEGORIES),
                "description": "基础类 basic, 完善类 improvement or 提升类 enhancement "
                "(国办发〔2020〕23号).",
            },
            "rule": {
                "enum": list(RULES),
                "default": "cc278_major",
                "description": "cc278_major: 3/4 of participants by headcount and area; "
                "cc278_ordinary: more than half; custom: see `custom`.",
            },
            "custom": custom,
            "scope": _closed(
                {
                    "buildings": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "description": 'Whole buildings, e.g. ["1号楼"].',
                    },
                    "units": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "prefixItems": [{"type": "string"}, {"type": "string"}],
                            "minItems": 2,
                            "maxItems": 2,
                        },
                        "description": 'Units as [building, unit], e.g. [["3号楼", "2单元"]].',
                    },
                },
                description="The households the item is put to; absent: the whole community.",
            ),
            **_money(SHARE_METHODS),
            "options": {
                "type": "array",
                "items": option,
                "minItems": MIN_OPTIONS,
                "maxItems": MAX_OPTIONS,
                "description": "2-5 alternatives (方案比选): a household agreeing marks one; "
                "each has its own cost, funding and share method (the item then has none).",
            },
            "option_rule": {
                "enum": list(OPTION_RULES),
                "default": "plurality",
                "description": "plurality: the option leading on headcount and area; "
                "threshold: the one option passing the item's rule on its own.",
            },
            "kind": {
                "enum": list(ITEM_KINDS),
                "default": "vote",
                "description": "vote: counted by the rule; opt_in (户内自选): each household "
                "signs up or declines and pays its own price.",
            },
            "price_fen": _fen("Opt-in: a fixed price per household, in fen."),
            "price_fen_per_m2": _fen(
                "Opt-in: a price per m² of the household's area, in fen (rounded half up)."
            ),
            "subsidy_fen": _fen("Opt-in: subsidy per household (以奖代补), in fen."),
            "min_uptake": {
                "type": "integer",
                "minimum": 1,
                "description": "Opt-in: the offer stands only with at least this many sign-ups.",
            },
            "signup_closes": {
                "type": ["string", "null"],
                "description": "Opt-in: last day to sign up (YYYY-MM-DD); absent: when voting "
                "closes.",
            },
        },
        required=("key", "title", "category"),
        description="One renovation item (改造项目).",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "CoPlan plan file",
        "description": "A renovation plan (改造方案) for `flask plan import` or the plan upload "
        "page: docs/formats.md#plan-file.",
        "type": "object",
        "properties": {
            "$schema": {"type": "string", "description": "Where an editor finds this schema."},
            "community": _text("The community's exact name; checked on import.", 120),
            "title": _text("The plan's title.", 200, min_length=1),
            "description": _text("What the plan is about.", 5000),
            "phases": _closed(
                {
                    **{name: _span(name) for name in PHASE_DATES},
                    "objection_days": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": 60,
                        "default": 7,
                        "description": "Days the preliminary result is posted for objections.",
                    },
                },
                description="Phase dates of 两上两下.",
            ),
            "policies": _closed(
                {
                    "conflict_policy": {
                        "enum": list(CONFLICT_POLICIES),
                        "default": "paper_prevails",
                        "description": "Which ballot counts when a household voted online and "
                        "on paper.",
                    },
                    "paper_double_entry": {
                        "type": "boolean",
                        "default": True,
                        "description": "A paper ballot counts once two workers keyed the same.",
                    },
                    "non_voter_policy": {
                        "enum": list(NON_VOTER_POLICIES),
                        "default": "none",
                        "description": "follow_majority only where the rules of procedure say so.",
                    },
                },
                description="Counting policies, fixed once voting opens.",
            ),
            "items": {"type": "array", "items": item, "description": "The items, in order."},
        },
        "required": ["title"],
        "additionalProperties": False,
    }


def schema_json() -> str:
    """The schema as docs/plan.schema.json holds it: indented UTF-8 JSON, one trailing newline."""
    return json.dumps(plan_schema(), ensure_ascii=False, indent=2) + "\n"


@functools.cache
def _validator() -> Draft202012Validator:
    """Built on the first plan file read, not when the app starts."""
    return Draft202012Validator(plan_schema())


_TYPE_WORDS = {
    "string": _l("文字"),
    "integer": _l("整数"),
    "number": _l("数字"),
    "boolean": _l("true 或 false"),
    "object": _l("对象 {…}"),
    "array": _l("列表 […]"),
    "null": "null",
}


def _path(parts) -> str:
    """A JSON location as people read it: items[2].scope.units[0]."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _known_fields(schema: dict) -> list[str]:
    return list(schema.get("properties", {}))


def _unknown_fields(error) -> list[str]:
    known = set(_known_fields(error.schema))
    return sorted(k for k in error.instance if k not in known)


def _message(error) -> list:
    """The user's words for one schema error (one per unknown field)."""
    where = _path(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        messages = []
        known = _known_fields(error.schema)
        for name in _unknown_fields(error):
            at = _path([*error.absolute_path, name])
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if close:
                messages.append(
                    _l("%(where)s：未知字段，是不是“%(field)s”？", where=at, field=close[0])
                )
            else:
                messages.append(
                    _l(
                        "%(where)s：未知字段，可用的字段：%(fields)s。",
                        where=at,
                        fields=", ".join(known),
                    )
                )
        return messages
    if kind == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [_l("%(where)s：缺少“%(field)s”。", where=where, field=name) for name in missing]
    if kind == "type":
        expected = error.validator_value
        names = expected if isinstance(expected, list) else [expected]
        return [
            _l(
                "%(where)s：应为 %(kind)s。",
                where=where,
                kind=" / ".join(str(_TYPE_WORDS.get(n, n)) for n in names),
            )
        ]
    if kind == "enum":
        return [
            _l(
                "%(where)s：“%(value)s”不可用，应为 %(options)s 之一。",
                where=where,
                value=error.instance,
                options=", ".join(str(o) for o in error.validator_value),
            )
        ]
    if kind in ("minimum", "maximum"):
        return [
            _l(
                "%(where)s：%(value)s 超出范围（%(low)s 到 %(high)s）。",
                where=where,
                value=error.instance,
                low=error.schema.get("minimum", "…"),
                high=error.schema.get("maximum", "…"),
            )
        ]
    if kind == "maxLength":
        return [_l("%(where)s：超过 %(n)d 个字。", where=where, n=error.validator_value)]
    if kind == "pattern" and error.validator_value == r"\S":
        return [_l("%(where)s：不能为空。", where=where)]
    if kind in ("minItems", "maxItems") and list(error.absolute_path)[-1:] == ["options"]:
        return [
            _l(
                "%(where)s：应有 %(low)d 到 %(high)d 个方案（现有 %(n)d 个）。",
                where=where,
                low=MIN_OPTIONS,
                high=MAX_OPTIONS,
                n=len(error.instance),
            )
        ]
    if kind in ("minItems", "maxItems"):
        return [_l('%(where)s：应写成 ["3号楼", "2单元"]。', where=where)]
    if kind == "pattern" and error.validator_value == NUMBER_PATTERN:
        return [_l("%(where)s：应为 %(kind)s。", where=where, kind=_TYPE_WORDS["number"])]
    if kind == "pattern":  # a floor_coefficients key: the path names the key itself
        where = _path([*error.absolute_path, error.instance])
        return [_l('%(where)s：楼层应为整数，如 "3"。', where=where)]
    return [_l("%(where)s：%(error)s", where=where, error=error.message)]


def schema_problems(raw: Any) -> list[tuple[tuple, object]]:
    """Every way `raw` (a parsed plan file) breaks the schema: (where in the file, as a tuple of
    keys and indexes; the message worded for the user)."""
    return [
        (tuple(error.absolute_path), message)
        for error in _validator().iter_errors(raw)
        for message in _message(error)
    ]
