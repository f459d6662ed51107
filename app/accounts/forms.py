"""Sign-in and staff account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts.models import ROLES


class HouseholdSigninForm(FlaskForm):
    """The code printed on the household's letter."""

    code = StringField(
        _l("登录码"), validators=[DataRequired(message=_l("请输入信上的登录码。")), Length(max=40)]
    )


class StaffSigninForm(FlaskForm):
    """Username and password for staff."""

    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])


ROLE_LABELS = {
    "admin": _l("系统管理员"),
    "district": _l("区/市住建部门"),
    "worker": _l("社区工作者"),
    "committee": _l("居委会/业委会"),
}


class UserForm(FlaskForm):
    """A new staff account."""

    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=60)])
    display_name = StringField(_l("姓名"), validators=[Length(max=80)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("角色"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    district = StringField(_l("所属区（区级账号）"), validators=[Length(max=80)])
    communities = SelectMultipleField(_l("小区"), coerce=int)
