"""Forms of the paper ballot pages; the marks are one field per item, named m:<key> / p:<key>."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from app.paper.keying import CHOICE_KEYS, KEY_CHOICES, Keying


class EntryForm(FlaskForm):
    """One paper ballot's marks (the item fields are read by keying_from_form)."""

    serial = HiddenField()


class InvalidForm(FlaskForm):
    """A returned ballot that cannot count, and why."""

    serial = HiddenField(validators=[DataRequired()])
    reason = StringField(
        _l("无效原因"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("例如：未签名、无法辨认、破损、非本户表决票"),
    )


class PaperUploadForm(FlaskForm):
    """The paper ballots file (CSV or XLSX)."""

    file = FileField(
        _l("纸质票录入文件（CSV 或 XLSX）"),
        validators=[
            FileRequired(message=_l("请选择要上传的文件。")),
            FileAllowed(["csv", "xlsx", "txt"], message=_l("只接受 CSV 或 XLSX 文件。")),
        ],
    )


def keying_from_form(items, formdata) -> tuple[Keying | None, dict, list[str]]:
    """(keying, the values as typed, problems) from the m:<key> and p:<key> fields.

    On an item with options (方案比选) the mark is the option's key as printed beside its box
    (a, b, …) for an agree with it; 2, 3 and 0 as on any item; 1 alone names no option."""
    choices, pledges, values, problems, options = {}, set(), {}, [], {}
    for item in items:
        typed = (formdata.get(f"m:{item.key}") or "").strip()
        values[f"m:{item.key}"] = typed
        if item.has_options:
            by_key = {o.key.lower(): o.key for o in item.options}
            if typed.lower() in by_key:
                choices[item.key] = "agree"
                options[item.key] = by_key[typed.lower()]
                if formdata.get(f"p:{item.key}"):
                    values[f"p:{item.key}"] = True
                    pledges.add(item.key)
                continue
            if typed not in KEY_CHOICES or KEY_CHOICES[typed] == "agree":
                problems.append(
                    str(
                        _l(
                            "项目 %(key)s：“%(v)s”不是有效的标记，请输入所选方案的编号"
                            "（%(options)s），或 2、3、0。",
                            key=item.key,
                            v=typed,
                            options="、".join(o.key for o in item.options),
                        )
                    )
                )
                continue
        if typed not in KEY_CHOICES:
            problems.append(
                str(
                    _l(
                        "项目 %(key)s：“%(v)s”不是有效的标记，请输入 1、2、3 或 0。",
                        key=item.key,
                        v=typed,
                    )
                )
            )
            continue
        choices[item.key] = KEY_CHOICES[typed]
        if formdata.get(f"p:{item.key}"):
            values[f"p:{item.key}"] = True
            pledges.add(item.key)
    if problems:
        return None, values, problems
    return Keying(choices, frozenset(pledges), options), values, []


def mark_values(keying: Keying) -> dict:
    """Form values that show a keying (for pre-filling); an option as its key."""
    values = {
        f"m:{k}": keying.options.get(k) or CHOICE_KEYS[v]
        for k, v in keying.choices.items()
        if v is not None
    }
    values.update({f"p:{k}": True for k in keying.pledges})
    return values
