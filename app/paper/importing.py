"""The paper ballots file (docs/formats.md) as ONE worker's keying of each ballot; all or nothing.

Columns, any order, Chinese or English headers: building, unit, room (the roster's names and
normalisers), optional serial (票号), then one column per item key with 同意/反对/弃权 (or
agree/oppose/abstain, or blank); an item with options takes the option's key or title instead of
同意. With double entry on, a second keying is still needed.

An opt-in item's column (户内自选, optional) takes 参加/不参加 (yes/no) or blank: the answer is
recorded as the household's paper sign-up when the file is imported (sign-ups are not votes, so
no second keying); blank leaves the household's answer as it is.
"""

import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.communities.models import Household
from app.communities.normalize import CellError
from app.communities.roster import (
    TableFileError,
    normalize_building,
    normalize_room,
    normalize_unit,
    read_table,
)
from app.core.errors import DomainError
from app.extensions import db
from app.paper.keying import Keying, file_choice, file_mark
from app.paper.models import PaperSerial
from app.paper.operations import enter_paper_ballot, find_serial
from app.plans.models import Item, Plan
from app.plans.queries import is_paper_entry_open, items_for_household
from app.rules.text import cell_text
from app.voting.optin import record_signup

HEADERS = {
    "building": ("楼栋", "楼号", "楼栋号", "building"),
    "unit": ("单元", "单元号", "unit"),
    "room": ("房号", "房间号", "户号", "室号", "room"),
    "serial": ("票号", "表决票号", "选票编号", "serial"),
}
IGNORED = ("序号", "备注", "no", "note", "notes", "remark", "remarks")
MAX_ERRORS = 200


SIGNUP_WORDS = {
    "参加": "join",
    "是": "join",
    "yes": "join",
    "y": "join",
    "join": "join",
    "不参加": "decline",
    "否": "decline",
    "no": "decline",
    "n": "decline",
    "decline": "decline",
    "": None,
}


@dataclass(frozen=True)
class PaperRow:
    """One ballot as the file gives it."""

    row: int
    household: Household
    serial_text: str
    keying: Keying
    signups: tuple[tuple[str, str], ...] = ()  # (opt-in item key, "join" | "decline")


def _key(text) -> str:
    """A header reduced for matching: NFKC, trimmed, spaces and "_" removed, lower case."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()
    return text.replace(" ", "").replace("_", "").lower()


def _header(cells, items: list[Item], errors: list) -> tuple[dict, dict]:
    """({field: column}, {item key: column}) from the header row; problems go to errors."""
    fields, item_cols = {}, {}
    by_alias = {_key(a): f for f, aliases in HEADERS.items() for a in aliases}
    by_item = {_key(i.key): i.key for i in items}
    for index, value in enumerate(cells):
        key = _key(value)
        if not key or key in IGNORED:
            continue
        if key in by_alias and by_alias[key] not in fields:
            fields[by_alias[key]] = index
        elif key in by_item and by_item[key] not in item_cols:
            item_cols[by_item[key]] = index
        else:
            errors.append(
                _l(
                    "第 1 行：无法识别或重复的列名“%(column)s”。列名应为 楼栋、单元、房号、票号"
                    "和本方案的项目编号（%(keys)s）。",
                    column=str(value),
                    keys="、".join(i.key for i in items),
                )
            )
    for name, label in (("building", _l("楼栋")), ("room", _l("房号"))):
        if name not in fields:
            errors.append(_l("缺少必填列“%(column)s”。", column=label))
    # An opt-in item's column may be left out (its answers come from other channels too).
    missing = [i.key for i in items if i.key not in item_cols and i.kind != "opt_in"]
    if missing:
        errors.append(
            _l(
                "缺少项目列：%(keys)s（没有填写的项目请留空，不要删除列）。",
                keys="、".join(missing),
            )
        )
    return fields, item_cols


def read_paper_ballots(plan: Plan, data: bytes, filename: str) -> list[PaperRow]:
    """Parse and check the whole file against the plan and roster; raises DomainError listing
    every problem by row and column."""
    try:
        table = read_table(data, filename)
    except TableFileError as exc:
        raise DomainError(exc.args[0]) from None
    # Voted items, and opt-in items whose optional column takes 参加/不参加.
    items = db.session.scalars(
        select(Item).where(Item.plan_id == plan.id).order_by(Item.position, Item.id)
    ).all()
    rows = [(n, cells) for n, cells in table if any(cell_text(c) for c in cells)]
    if not rows:
        raise DomainError(_l("文件是空的。"))
    errors: list = []
    opt_in_keys = {i.key for i in items if i.kind == "opt_in"}
    header = rows[0][1]
    fields, item_cols = _header(header, items, errors)
    if errors:
        raise DomainError(*errors)
    households = {
        (h.building.name, h.unit.name, h.room): h
        for h in db.session.scalars(
            select(Household)
            .options(joinedload(Household.building), joinedload(Household.unit))
            .where(Household.community_id == plan.community_id)
        )
    }
    headers = {index: cell_text(value) for index, value in enumerate(header)}
    # An item with options (方案比选) is marked with an option's key or title, or 反对/弃权.
    option_marks = {
        i.key: {
            **{cell_text(o.title).lower(): o.key for o in i.options},
            **{o.key.lower(): o.key for o in i.options},
        }
        for i in items
        if i.has_options
    }
    option_words = {
        i.key: "、".join(f"{o.key}（{o.title}）" for o in i.options) + str(_l("、反对、弃权"))
        for i in items
        if i.has_options
    }
    seen: dict = {}
    parsed = []
    for number, cells in rows[1:]:
        if len(errors) >= MAX_ERRORS:
            break

        def cell(index, cells=cells):
            return cells[index] if index is not None and index < len(cells) else None

        try:
            key = (
                normalize_building(cell(fields["building"])),
                normalize_unit(cell(fields.get("unit"))),
                normalize_room(cell(fields["room"])),
            )
        except CellError as exc:
            errors.append(exc.message(number, _l("楼栋/单元/房号")))
            continue
        household = households.get(key)
        if household is None:
            errors.append(_l("第 %(row)d 行：花名册中没有 %(h)s。", row=number, h="".join(key)))
            continue
        if key in seen:
            errors.append(
                _l(
                    "第 %(row)d 行：%(h)s 与第 %(first)d 行重复。",
                    row=number,
                    h="".join(key),
                    first=seen[key],
                )
            )
            continue
        seen[key] = number
        in_scope = {i.key for i in items_for_household(plan, household)}
        opt_in_scope = {i.key for i in items_for_household(plan, household, kind="opt_in")}
        choices, options, signups = {}, {}, []
        for item_key, index in item_cols.items():
            text = cell_text(cell(index))
            if item_key in opt_in_keys:
                decision = _signup(text, number, headers[index], errors)
                if decision is not None and item_key not in opt_in_scope:
                    errors.append(
                        _l(
                            "第 %(row)d 行，“%(column)s”列：该户不在此项目的范围内，应留空。",
                            row=number,
                            column=headers[index],
                        )
                    )
                elif decision is not None:
                    signups.append((item_key, decision))
                continue
            marks = option_marks.get(item_key)
            try:
                if marks:
                    choice, option = file_mark(text, marks)
                else:
                    choice, option = file_choice(text), None
            except ValueError:
                errors.append(
                    _l(
                        "第 %(row)d 行，“%(column)s”列：“%(value)s”无法识别，"
                        "应为 %(words)s 或留空。",
                        row=number,
                        column=headers[index],
                        value=text[:30],
                        words=option_words[item_key] if marks else _l("同意、反对、弃权"),
                    )
                )
                continue
            if choice is not None and item_key not in in_scope:
                errors.append(
                    _l(
                        "第 %(row)d 行，“%(column)s”列：该户不在此项目的表决范围内，应留空。",
                        row=number,
                        column=headers[index],
                    )
                )
                continue
            if item_key in in_scope:
                choices[item_key] = choice
                if option is not None:
                    options[item_key] = option
        serial_text = cell_text(cell(fields.get("serial")))
        parsed.append(
            PaperRow(
                number,
                household,
                serial_text,
                Keying(choices, options=options),
                tuple(signups),
            )
        )
    if errors:
        raise DomainError(*errors)
    return parsed


def _signup(text: str, row: int, column: str, errors: list) -> str | None:
    """An opt-in cell as "join", "decline" or None (blank); anything else goes to errors."""
    word = unicodedata.normalize("NFKC", text).strip().lower()
    if word in SIGNUP_WORDS:
        return SIGNUP_WORDS[word]
    errors.append(
        _l(
            "第 %(row)d 行，“%(column)s”列：“%(value)s”无法识别，应为 参加、不参加 或留空。",
            row=row,
            column=column,
            value=text[:30],
        )
    )
    return None


def import_paper_ballots(plan: Plan, data: bytes, filename: str, *, user) -> dict[str, int]:
    """Enter every ballot of the file as `user`'s keying; any problem changes nothing."""
    if not is_paper_entry_open(plan):
        raise DomainError(_l("结果已经公布或表决尚未开始，纸质票不能再录入。"))
    rows = read_paper_ballots(plan, data, filename)
    by_key = {item.key: item for item in plan.items}
    summary = {"rows": len(rows), "pending": 0, "confirmed": 0, "mismatch": 0}
    errors = []
    for row in rows:
        try:
            if row.serial_text:
                serial = find_serial(plan, row.serial_text)
                if serial.household_id != row.household.id:
                    raise DomainError(_l("票号 %(s)s 属于另一户。", s=row.serial_text))
            else:
                serial = _current_serial(plan, row.household)
            entry = enter_paper_ballot(plan, row.household, row.keying, user=user, serial=serial)
            for item_key, decision in row.signups:
                record_signup(
                    plan, by_key[item_key], row.household, decision, channel="paper", user=user
                )
        except DomainError as exc:
            errors.extend(
                _l("第 %(row)d 行：%(reason)s", row=row.row, reason=reason)
                for reason in exc.reasons
            )
            continue
        summary[entry.status] += 1
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise DomainError(*errors)  # the caller rolls back every row already entered
    return summary


def _current_serial(plan: Plan, household: Household) -> PaperSerial | None:
    """The household's issued serial, when the file leaves the serial blank."""
    return db.session.scalar(
        select(PaperSerial).where(
            PaperSerial.plan_id == plan.id,
            PaperSerial.household_id == household.id,
            PaperSerial.status == "issued",
        )
    )
