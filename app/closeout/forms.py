"""Forms of the change order and final accounts pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.core.vocabulary import FUNDING_SOURCE_LABELS
from app.plans.models import FUNDING_SOURCES
from app.rules.money import AmountError, parse_yuan


class SignedYuan:
    """Validator: an amount in yuan, negative allowed when asked; fen go to ``field.fen``."""

    def __init__(self, *, negative: bool = False, required: bool = False):
        self.negative = negative
        self.required = required

    def __call__(self, form, field):
        text = (field.data or "").strip().replace("－", "-")
        field.fen = 0
        if not text:
            if self.required:
                raise ValidationError(_l("请填写金额。"))
            return
        try:
            field.fen = parse_yuan(text, allow_negative=self.negative)
        except AmountError as exc:
            raise ValidationError(exc.message) from None


class ChangeForm(FlaskForm):
    """A change order: the item, why, how cost and funding change, and any scope change."""

    item_id = SelectField(_l("项目"), coerce=int)
    reason = TextAreaField(_l("变更原因"), validators=[DataRequired(), Length(max=2000)])
    cost_change = StringField(
        _l("造价变化（元，减少填负数）"), validators=[SignedYuan(negative=True), Length(max=30)]
    )
    scope_change = TextAreaField(
        _l("范围变化（选填：改变项目范围时写明，须重新表决）"), validators=[Length(max=1000)]
    )


for _source in FUNDING_SOURCES:
    setattr(
        ChangeForm,
        f"change_{_source}",
        StringField(
            _l("%(s)s 变化（元）", s=FUNDING_SOURCE_LABELS[_source]),
            validators=[SignedYuan(negative=True), Length(max=30)],
        ),
    )


def funding_change_fields(form) -> list:
    return [form[f"change_{s}"] for s in FUNDING_SOURCES]


def read_funding_change(form) -> dict[str, int]:
    """{source: change in fen} of a validated ChangeForm."""
    return {s: form[f"change_{s}"].fen for s in FUNDING_SOURCES if form[f"change_{s}"].fen}


class DecideForm(FlaskForm):
    """The committee's note when approving or rejecting a change."""

    note = TextAreaField(_l("审批意见（选填）"), validators=[Length(max=1000)])


class ConfirmFinalForm(FlaskForm):
    """Confirm an item's final accounts (no fields: the CSRF token)."""


class SettleForm(FlaskForm):
    """Apply the revision vote's final result to a change (no fields: the CSRF token)."""


class FinalForm(FlaskForm):
    """An item's actual cost and funding per source, and the option carried out."""

    # Shown only for an item with options; the view checks the option belongs to the item.
    option_id = SelectField(
        _l("实际实施的方案"), coerce=int, choices=[], default=0, validate_choice=False
    )
    actual_cost = StringField(
        _l("实际造价（元）"), validators=[SignedYuan(required=True), Length(max=30)]
    )
    note = TextAreaField(_l("说明（选填，如审计报告编号）"), validators=[Length(max=1000)])


for _source in FUNDING_SOURCES:
    setattr(
        FinalForm,
        f"actual_{_source}",
        StringField(
            _l("实际%(s)s（元）", s=FUNDING_SOURCE_LABELS[_source]),
            validators=[SignedYuan(), Length(max=30)],
        ),
    )


def actual_source_fields(form) -> list:
    return [(s, form[f"actual_{s}"]) for s in FUNDING_SOURCES]


def read_actual_sources(form) -> dict[str, int]:
    """{source: fen} of a validated FinalForm; blanks are 0."""
    return {s: field.fen for s, field in actual_source_fields(form) if field.fen}
