"""Forms of the acceptance and evaluation pages; score fields are read by scores_from_form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.errors import DomainError
from app.rules.satisfaction import ASPECTS, Scores, parse_score


class PostForm(FlaskForm):
    """A form whose fields are read from the request (CSRF only)."""


class MemberForm(FlaskForm):
    """A member of the acceptance group."""

    kind = SelectField(
        _l("身份"), choices=[("resident", _l("居民代表")), ("staff", _l("工作人员"))]
    )
    address = StringField(_l("房屋（居民代表）"), validators=[Length(max=40)],
                          description=_l("例如 3-2-301"))  # fmt: skip
    name = StringField(_l("姓名"), validators=[Length(max=120)])
    role = StringField(_l("在验收小组中的职责"), validators=[Length(max=60)],
                       description=_l("例如：组长、居民代表、监理、施工单位"))  # fmt: skip


class DefectForm(FlaskForm):
    """A defect with the party responsible and a deadline."""

    description = TextAreaField(_l("问题"), validators=[DataRequired(), Length(max=1000)])
    responsible = StringField(_l("整改责任单位"), validators=[DataRequired(), Length(max=120)])
    deadline = DateField(_l("整改期限"), validators=[DataRequired()])


class RectifyForm(FlaskForm):
    """A defect's rectification."""

    rectification = TextAreaField(_l("整改情况"), validators=[DataRequired(), Length(max=1000)])


class RoundForm(FlaskForm):
    """Open an evaluation round."""

    closes_on = DateField(_l("截止日期（可不填）"), validators=[Optional()])


class FormCodeForm(FlaskForm):
    """The code printed on an evaluation form."""

    code = StringField(_l("评价表编号"), validators=[DataRequired(), Length(max=30)],
                       description=_l("评价表右上角的编号，例如 PJ1-000123-4"))  # fmt: skip


def scores_from_form(data, item_ids) -> Scores:
    """Scores from fields a-<aspect>, i-<item id> (1..5 or blank) and comment."""
    aspects, items, bad = {}, {}, False
    for name in ASPECTS:
        try:
            score = parse_score(data.get(f"a-{name}"))
        except ValueError:
            bad = True
            continue
        if score is not None:
            aspects[name] = score
    for item_id in item_ids:
        try:
            score = parse_score(data.get(f"i-{item_id}"))
        except ValueError:
            bad = True
            continue
        if score is not None:
            items[item_id] = score
    if bad:
        raise DomainError(_l("分数只能是 1 到 5。"))
    comment = (data.get("comment") or "").strip()
    if len(comment) > 2000:
        raise DomainError(_l("意见请不要超过 2000 字。"))
    return Scores(aspects, items, comment)
