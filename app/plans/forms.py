"""Forms of the plan pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.core.vocabulary import FUNDING_SOURCE_LABELS, SHARE_METHOD_LABELS, form_choices
from app.plans.models import FUNDING_SOURCES
from app.plans.planschema import OPTION_SHARE_METHODS
from app.rules.money import AmountError, parse_yuan


class YuanField(StringField):
    """An amount typed in yuan (元); its value in fen is ``field.fen`` (None when left blank)."""

    fen: int | None = None

    def pre_validate(self, form):
        """Read the amount, refusing what is not one."""
        text = (self.data or "").strip()
        self.fen = None
        if text:
            try:
                self.fen = parse_yuan(text)
            except AmountError as exc:
                raise ValidationError(exc.message) from None


class PlanForm(FlaskForm):
    """A plan's title, dates and policies."""

    title = StringField(_l("方案名称"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("说明"), validators=[Length(max=5000)])
    proposals_opens = DateField(_l("征集意见开始"), validators=[Optional()])
    proposals_closes = DateField(_l("征集意见结束"), validators=[Optional()])
    drafting_opens = DateField(_l("公布草案开始"), validators=[Optional()])
    drafting_closes = DateField(_l("公布草案结束"), validators=[Optional()])
    voting_opens = DateField(_l("表决开始"), validators=[Optional()])
    voting_closes = DateField(_l("表决截止（含当天）"), validators=[Optional()])
    objection_days = IntegerField(
        _l("公示异议期（天）"), default=7, validators=[NumberRange(min=0, max=60)]
    )
    conflict_policy = SelectField(
        _l("同一户既有网上又有纸质票时"), choices=form_choices("conflict_policy")
    )
    paper_double_entry = BooleanField(_l("纸质票需两人分别录入一致才计入"), default=True)
    non_voter_policy = SelectField(
        _l("未表决户的计票方式"), choices=form_choices("non_voter_policy")
    )
    change_threshold_pct = IntegerField(
        _l("设计变更阈值（%）"),
        default=10,
        validators=[NumberRange(min=0, max=1000)],
    )


class PlanUploadForm(FlaskForm):
    """A plan file (JSON, docs/formats.md#plan-file)."""

    file = FileField(_l("方案文件（JSON）"), validators=[FileRequired(_l("请选择要上传的文件。"))])


class ItemForm(FlaskForm):
    """One item of the plan."""

    key = StringField(
        _l("编号"),
        validators=[
            DataRequired(),
            Length(max=12),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("编号只能用字母、数字、横线，如 A1。")),
        ],
    )
    title = StringField(_l("项目名称"), validators=[DataRequired(), Length(max=200)])
    summary = StringField(_l("一句话说明（表决页显示）"), validators=[Length(max=200)])
    description = TextAreaField(_l("详细说明"), validators=[Length(max=5000)])
    category = SelectField(_l("类别"), choices=form_choices("category"))
    rule = SelectField(_l("表决规则"), choices=form_choices("rule"))
    custom_quorum = StringField(_l("自定义：参与门槛（如 2/3，0 为不设）"), default="0")
    custom_approval = StringField(_l("自定义：通过比例（如 2/3）"), default="1/2")
    custom_strict = BooleanField(_l("自定义：须超过该比例（不含等于）"))
    custom_base = SelectField(
        _l("自定义：比例的基数"),
        choices=[("participating", _l("参与表决者")), ("electorate", _l("全体有表决权者"))],
        default="participating",  # a revision during voting does not send the rule fields
    )
    custom_dimensions = SelectField(
        _l("自定义：计算维度"),
        choices=[("both", _l("人数和面积")), ("headcount", _l("人数")), ("area", _l("面积"))],
        default="both",
    )
    scope_buildings = SelectMultipleField(_l("范围：楼栋（不选为全小区）"), coerce=int)
    scope_units = SelectMultipleField(_l("范围：单元"), coerce=int)
    kind = SelectField(
        _l("项目类型"),
        choices=[
            ("vote", _l("表决项目：按表决规则计票")),
            ("opt_in", _l("户内自选：不表决，各户自愿参加并自付")),
        ],
        default="vote",
    )
    price = YuanField(_l("户内自选：每户固定价（元）"), validators=[Length(max=30)])
    price_per_m2 = YuanField(_l("户内自选：或每平方米单价（元）"), validators=[Length(max=30)])
    subsidy = YuanField(_l("户内自选：每户补贴（以奖代补，元）"), validators=[Length(max=30)])
    min_uptake = IntegerField(
        _l("户内自选：至少多少户参加才成团（选填）"),
        validators=[Optional(), NumberRange(min=1)],
    )
    signup_closes = DateField(
        _l("户内自选：报名截止（选填，默认随表决截止）"), validators=[Optional()]
    )


class ReasonForm(FlaskForm):
    """An action that needs a recorded reason."""

    reason = StringField(_l("原因"), validators=[DataRequired(_l("请填写原因。")), Length(max=500)])


class PhaseForm(FlaskForm):
    """Move the plan to its next phase."""

    phase = StringField(validators=[DataRequired()])


OPTION_METHODS = [(m, SHARE_METHOD_LABELS[m]) for m in OPTION_SHARE_METHODS]
OPTION_RULE_CHOICES = [
    ("plurality", _l("得票最多：人数和面积都领先的方案入选")),
    ("threshold", _l("单独过线：方案自身的同意票须达到本项目的表决规则")),
]


class OptionForm(FlaskForm):
    """One option of an item (方案比选): its key, title, cost, funding and share method."""

    key = StringField(
        _l("方案编号（如 a，纸质票上填写）"),
        validators=[
            DataRequired(),
            Length(max=12),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("编号只能用字母、数字、横线，如 a。")),
        ],
    )
    title = StringField(_l("方案名称"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("方案说明"), validators=[Length(max=5000)])
    cost = YuanField(_l("方案总造价（元）"), validators=[DataRequired(_l("请填写金额。"))])
    share_method = SelectField(_l("居民出资的分摊方式"), choices=OPTION_METHODS)
    floor_coefficients = StringField(
        _l("楼层系数（按楼层分摊时填写，如 1:0, 2:0, 3:1, 4:1.2）"), validators=[Length(max=500)]
    )

    def funding(self) -> dict[str, int]:
        """{source: fen} of the funding fields filled in."""
        return {s: self[f"amount_{s}"].fen or 0 for s in FUNDING_SOURCES}

    def floor_table(self) -> dict[str, str] | None:
        """The floor coefficients as typed ("1:0, 3:1.2"), or None; malformed pairs raise."""
        text = (self.floor_coefficients.data or "").replace("，", ",").replace("：", ":")
        pairs = [p.strip() for p in text.split(",") if p.strip()]
        if not pairs:
            return None
        table = {}
        for pair in pairs:
            floor, _sep, value = pair.partition(":")
            table[floor.strip()] = value.strip()
        return table


for _source in FUNDING_SOURCES:
    setattr(
        OptionForm,
        f"amount_{_source}",
        YuanField(FUNDING_SOURCE_LABELS[_source], validators=[Length(max=30)]),
    )


class OptionRuleForm(FlaskForm):
    """How an item with options picks one."""

    option_rule = SelectField(_l("方案比选规则"), choices=OPTION_RULE_CHOICES)
