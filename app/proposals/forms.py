"""Forms of the proposals pages, and the words residents and workers read for each code."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.vocabulary import CATEGORY_LABELS, PROPOSAL_SOURCE_LABELS
from app.plans.models import CATEGORIES

# Plain words for the three categories of 国办发〔2020〕23号 (docs/process.md#item-categories).
CATEGORY_HINTS = {
    "basic": _l(
        "保安全、保基本生活的：水、电、气、暖、通信管线，道路，消防，屋顶漏水，外墙和保温，楼道。"
    ),
    "improvement": _l(
        "让住得更方便舒适的：小区环境、节能改造、加装电梯、停车和充电、无障碍和适老化设施。"
    ),
    "enhancement": _l("增加社区服务的：养老、托育、卫生服务站、社区食堂、便民商店、快递驿站。"),
}

TITLE_MAX = 100
BODY_MAX = 2000


class ProposalForm(FlaskForm):
    """What a household proposes: title, text, category, up to three photos."""

    title = StringField(
        _l("想改什么（一句话）"),
        validators=[DataRequired(message=_l("请用一句话写下您想改什么。")), Length(max=TITLE_MAX)],
    )
    body = TextAreaField(_l("详细说明（可不填）"), validators=[Optional(), Length(max=BODY_MAX)])
    category = RadioField(
        _l("属于哪一类"),
        choices=[SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        validators=[DataRequired(message=_l("请选择类别。"))],
    )
    photos = MultipleFileField(_l("照片（可不传，最多 3 张）"))


class StaffProposalForm(ProposalForm):
    """A proposal a worker gathered door to door or by survey."""

    title = StringField(
        _l("提议标题（一句话）"),
        validators=[DataRequired(message=_l("请填写提议标题。")), Length(max=TITLE_MAX)],
    )

    source = SelectField(
        _l("来源"),
        choices=[SelectChoice(s, PROPOSAL_SOURCE_LABELS[s]) for s in ("door_to_door", "survey")],
    )
    household = StringField(_l("提议住户（可不填）"), validators=[Optional(), Length(max=100)])


class SupportForm(FlaskForm):
    """Support or withdraw support (CSRF only)."""


class MergeForm(FlaskForm):
    """Merge this proposal into another one of the same plan."""

    target = SelectField(_l("并入哪条提议"), coerce=int)


class AcceptForm(FlaskForm):
    """Accept a proposal as a new item of the draft plan."""

    key = StringField(
        _l("项目编号（如 A3）"),
        validators=[DataRequired(message=_l("请填写项目编号。")), Length(max=12)],
    )
    title = StringField(
        _l("项目名称"), validators=[DataRequired(message=_l("请填写项目名称。")), Length(max=200)]
    )
    category = SelectField(
        _l("类别"), choices=[SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES]
    )


class LinkForm(FlaskForm):
    """Accept a proposal as answered by an existing item."""

    item = SelectField(_l("方案中的项目"), coerce=int)


class DeclineForm(FlaskForm):
    """Decline a proposal with a reason the proposer reads."""

    reason = TextAreaField(
        _l("不采纳的原因（提议人会看到）"),
        validators=[DataRequired(message=_l("请写明不采纳的原因。")), Length(max=1000)],
    )


class UndoForm(FlaskForm):
    """Undo a merge or a decline (the CSRF token is all it carries)."""
