"""Forms of the results pages: delivery, publication, objections."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
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
