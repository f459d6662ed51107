"""Forms of the census pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class CommunityForm(FlaskForm):
    """A new community."""

    name = StringField(_l("小区名称"), validators=[DataRequired(), Length(max=120)])
    district = StringField(_l("所属区"), validators=[Length(max=80)])
    street = StringField(_l("街道"), validators=[Length(max=80)])
    address = StringField(_l("地址"), validators=[Length(max=200)])


class RosterUploadForm(FlaskForm):
    """The household roster file (CSV or XLSX)."""

    file = FileField(
        _l("花名册文件（CSV 或 XLSX）"),
        validators=[
            FileRequired(message=_l("请选择要上传的文件。")),
            FileAllowed(["csv", "xlsx", "txt"], message=_l("只接受 CSV 或 XLSX 文件。")),
        ],
    )


class ConfirmForm(FlaskForm):
    """A bare confirmation (CSRF only)."""


class IssueCodesForm(FlaskForm):
    """Issue sign-in codes to households."""

    only_missing = BooleanField(_l("只给还没有登录码的住户发放"), default=True)


class RotateCodeForm(FlaskForm):
    """Replace one household's code."""

    reason = StringField(_l("原因（如：信件遗失）"), validators=[Length(max=200)])
