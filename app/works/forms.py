"""Forms of the works pages (staff and residents)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.works.labels import PHOTO_STAGE_LABELS, SEVERITY_LABELS, WORKS_STATUS_LABELS
from app.works.models import PHOTO_STAGES, SEVERITIES, WORKS_STATUSES

PHOTO_HINT = _l("JPEG、PNG 或 WebP 格式，最多 3 张，每张不超过 12 MB，大照片会自动缩小。")


class WorksForm(FlaskForm):
    """A worker's facts of a works: who builds it, who supervises, money, dates, status."""

    contractor = StringField(_l("施工单位"), validators=[Optional(), Length(max=200)])
    site_supervisor = StringField(_l("监理单位"), validators=[Optional(), Length(max=200)])
    contract = StringField(_l("合同金额（元）"), validators=[Optional(), Length(max=20)])
    complaints_contact = StringField(
        _l("投诉电话或联系人"), validators=[Optional(), Length(max=200)]
    )
    planned_start = DateField(_l("计划开工"), validators=[Optional()])
    planned_end = DateField(_l("计划完工"), validators=[Optional()])
    actual_start = DateField(_l("实际开工"), validators=[Optional()])
    actual_end = DateField(_l("实际完工"), validators=[Optional()])
    status = SelectField(
        _l("施工状态"), choices=[(s, WORKS_STATUS_LABELS[s]) for s in WORKS_STATUSES]
    )
    progress = IntegerField(
        _l("进度（%，不填则按状态）"), validators=[Optional(), NumberRange(0, 100)]
    )


class LogForm(FlaskForm):
    """A worker's dated log entry with photos."""

    entry_date = DateField(_l("日期"), validators=[DataRequired(message=_l("请填写日期。"))])
    stage = SelectField(
        _l("照片阶段"),
        choices=[("", _l("（不分）"))] + [(s, PHOTO_STAGE_LABELS[s]) for s in PHOTO_STAGES],
        validators=[Optional()],
    )
    text = TextAreaField(_l("施工情况"), validators=[Optional(), Length(max=2000)])
    photos = MultipleFileField(_l("照片"))


class NominateForm(FlaskForm):
    """A worker nominates a household as resident supervisor by its address."""

    address = StringField(
        _l("住户地址（如 3-2-301）"), validators=[DataRequired(message=_l("请填写住户地址。"))]
    )
    note = StringField(_l("备注"), validators=[Optional(), Length(max=200)])


class VolunteerForm(FlaskForm):
    """A household volunteers as supervisor."""

    note = StringField(
        _l("简单介绍（可不填，如：退休工程师，白天在家）"),
        validators=[Optional(), Length(max=200)],
    )


class InspectionForm(FlaskForm):
    """An appointed supervisor's inspection."""

    findings = TextAreaField(
        _l("巡查发现"),
        validators=[DataRequired(message=_l("请写下巡查发现的情况。")), Length(max=2000)],
    )
    severity = RadioField(
        _l("有没有问题"),
        choices=[(s, SEVERITY_LABELS[s]) for s in SEVERITIES],
        validators=[DataRequired(message=_l("请选择问题严重程度。"))],
    )
    photos = MultipleFileField(_l("照片（可不传）"))


class IssueForm(FlaskForm):
    """A household's issue report."""

    works = SelectField(_l("哪个项目"), coerce=int, validators=[Optional()])
    location = StringField(
        _l("在哪里（几号楼、几单元、什么位置）"),
        validators=[DataRequired(message=_l("请写下问题在哪里（几号楼、几单元、什么位置）。")),
                    Length(max=200)],
    )  # fmt: skip
    text = TextAreaField(
        _l("发现了什么问题"),
        validators=[DataRequired(message=_l("请写下发现了什么问题。")), Length(max=2000)],
    )
    photos = MultipleFileField(_l("照片（最好拍一张）"))


class AssignForm(FlaskForm):
    """Who puts an issue right, and by when."""

    responsible = StringField(
        _l("整改责任方"),
        validators=[DataRequired(message=_l("请填写整改责任方。")), Length(max=200)],
    )
    deadline = DateField(_l("整改期限"), validators=[DataRequired(message=_l("请填写整改期限。"))])
    assign_note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class RectifyForm(FlaskForm):
    """The problem is put right: how."""

    rectify_note = TextAreaField(
        _l("整改情况"),
        validators=[DataRequired(message=_l("请写下是怎么整改的。")), Length(max=2000)],
    )


class ReinspectForm(FlaskForm):
    """Re-inspection: passed or not, a note, a new deadline when it failed."""

    result = RadioField(
        _l("复查结果"),
        choices=[("pass", _l("通过，办结")), ("fail", _l("未通过，继续整改"))],
        validators=[DataRequired(message=_l("请选择复查结果。"))],
    )
    reinspect_note = TextAreaField(_l("复查说明"), validators=[Optional(), Length(max=2000)])
    new_deadline = DateField(_l("新的整改期限（未通过时）"), validators=[Optional()])
