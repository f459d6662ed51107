"""Forms of the results pages: delivery, publication, objections."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.core.vocabulary import form_choices


class DeliveryForm(FlaskForm):
    """Record that one household received its ballot or letter."""

    household_id = IntegerField(validators=[DataRequired()])
    method = SelectField(
        _l("送达方式"), choices=form_choices("delivery_method"), default="in_person"
    )
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A confirmation button (CSRF only)."""


class ObjectionForm(FlaskForm):
    """An objection received during the objection period."""

    item_id = SelectField(_l("针对的项目"), coerce=int, default=0)
    address = StringField(
        _l("提出异议的住户（可不填）"),
        validators=[Optional(), Length(max=80)],
        description=_l("楼栋、单元和房号，如 3号楼2单元301 或 3-2-301"),
    )
    text = TextAreaField(
        _l("异议内容"),
        validators=[DataRequired(message=_l("请填写异议内容。")), Length(max=4000)],
    )


class ResolveForm(FlaskForm):
    """How an objection was resolved."""

    objection_id = IntegerField(validators=[DataRequired()])
    resolution = TextAreaField(_l("处理结果"), validators=[DataRequired(), Length(max=4000)])


class ElectorateCorrectionForm(FlaskForm):
    """A committee member's correction of one household of a plan's frozen electorate."""

    address = StringField(
        _l("住户"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("楼栋、单元和房号连写，如 3号楼2单元301"),
    )
    kind = SelectField(_l("更正什么"), choices=form_choices("correction_kind"))
    area = DecimalField(
        _l("正确面积（㎡）"),
        places=2,
        validators=[Optional()],
        description=_l("更正面积时必填；补入住户时不填则用名册中的面积"),
    )
    same_owner_as = StringField(
        _l("与哪一户同属一名业主"),
        validators=[Optional(), Length(max=80)],
        description=_l("更正业主归属时填写；不填表示这一户是单独的业主"),
    )
    reason = TextAreaField(
        _l("更正原因"),
        validators=[DataRequired(message=_l("请说明更正表决范围的原因。")), Length(max=2000)],
        description=_l("将记入审计记录，并在此后打印的每一份公示上列出"),
    )


class RunoffForm(FlaskForm):
    """Open a runoff (决选) for an undecided item: its voting dates."""

    voting_opens = DateField(_l("决选开始日期"), validators=[DataRequired()])
    voting_closes = DateField(_l("决选截止日期（含当天）"), validators=[DataRequired()])
