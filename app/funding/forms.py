"""Forms of the funding pages: item funding, custom upload, payments and corrections."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.vocabulary import FUNDING_SOURCE_LABELS, form_choices
from app.plans.models import FUNDING_SOURCES
from app.rules.money import AmountError, parse_yuan
from app.rules.shares import ShareError, parse_floor_coefficients

COEFFICIENT_PREFIX = "coef_"


class Yuan:
    """Validator: the field holds an amount in yuan; its value in fen goes to ``field.fen``.

    A blank optional field gives ``field.fen = None``.
    """

    def __init__(self, *, required: bool = False):
        self.required = required

    def __call__(self, form, field):
        text = (field.data or "").strip()
        field.fen = None
        if not text:
            if self.required:
                raise ValidationError(_l("请填写金额。"))
            return
        try:
            field.fen = parse_yuan(text)
        except AmountError as exc:
            raise ValidationError(exc.message) from None


class FundingForm(FlaskForm):
    """An item's cost, funding sources (added below, one pair per source) and share method."""

    cost = StringField(_l("项目总造价（元）"), validators=[Yuan(required=True)])
    residents_check = StringField(
        _l("居民出资合计（选填，用于核对）"), validators=[Yuan(), Length(max=30)]
    )
    share_method = SelectField(_l("居民出资的分摊方式"), choices=form_choices("share_method"))
    reason = StringField(_l("修改原因（表决期间必填，居民会看到）"), validators=[Length(max=500)])


for _source in FUNDING_SOURCES:
    setattr(
        FundingForm,
        f"amount_{_source}",
        StringField(FUNDING_SOURCE_LABELS[_source], validators=[Yuan(), Length(max=30)]),
    )
    setattr(
        FundingForm,
        f"note_{_source}",
        StringField(
            _l("说明（如以奖代补金额、文件号）") if _source == "government" else _l("说明"),
            validators=[Length(max=200)],
        ),
    )


def source_fields(form: FundingForm) -> list[tuple[str, object, object]]:
    """(source, amount field, note field) in the order of FUNDING_SOURCES."""
    return [(s, form[f"amount_{s}"], form[f"note_{s}"]) for s in FUNDING_SOURCES]


def read_sources(form: FundingForm) -> dict[str, tuple[int, str]]:
    """{source: (fen, note)} from a validated form; blank amounts are 0."""
    return {s: (amount.fen or 0, note.data or "") for s, amount, note in source_fields(form)}


def read_floor_table(data) -> tuple[dict[int, Decimal], list[str]]:
    """The floor-coefficient table typed as coef_<floor> fields; blanks are left out."""
    raw = {}
    for name, value in data.items():
        if name.startswith(COEFFICIENT_PREFIX) and str(value).strip():
            raw[name[len(COEFFICIENT_PREFIX) :]] = str(value).strip()
    try:
        return parse_floor_coefficients(raw), []
    except ShareError as exc:
        return {}, [exc.message]


class CustomUploadForm(FlaskForm):
    """Uploaded per-household amounts for the custom method."""

    file = FileField(
        _l("每户金额表（CSV 或 XLSX）"),
        validators=[
            FileRequired(message=_l("请选择要上传的文件。")),
            FileAllowed(["csv", "xlsx", "txt"], message=_l("只接受 CSV 或 XLSX 文件。")),
        ],
    )
    reason = StringField(_l("修改原因（表决期间必填）"), validators=[Length(max=500)])


class PaymentForm(FlaskForm):
    """One payment of a household towards one item."""

    item_id = SelectField(_l("项目"), coerce=int, validators=[DataRequired()])
    amount = StringField(_l("缴费金额（元）"), validators=[Yuan(required=True)])
    paid_on = DateField(_l("缴费日期"), validators=[DataRequired(message=_l("请填写缴费日期。"))])
    method = SelectField(_l("缴费方式"), choices=form_choices("payment_method"))
    receipt_no = StringField(
        _l("收据号"),
        validators=[DataRequired(message=_l("请填写收据号。")), Length(max=40)],
    )


class CorrectionForm(FlaskForm):
    """Cancel a payment, or replace it by the right one."""

    action = RadioField(
        _l("怎样更正"),
        choices=[
            ("void", _l("撤销这笔缴费（登记错了或重复登记）")),
            ("replace", _l("改为正确的金额、日期、方式或收据号")),
        ],
        default="replace",
        validators=[DataRequired()],
    )
    reason = StringField(
        _l("更正原因"), validators=[DataRequired(message=_l("请说明更正的原因。")), Length(max=500)]
    )
    amount = StringField(_l("正确的金额（元）"), validators=[Yuan()])
    paid_on = DateField(_l("缴费日期"), validators=[Optional()])
    method = SelectField(_l("缴费方式"), choices=form_choices("payment_method"))
    receipt_no = StringField(_l("收据号"), validators=[Length(max=40)])
