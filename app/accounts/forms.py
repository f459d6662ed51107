"""Sign-in and staff account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from app.core.permissions import ROLES_BY_PRIVILEGE
from app.core.vocabulary import form_choices


class HouseholdSigninForm(FlaskForm):
    """The code printed on the household's letter."""

    code = StringField(
        _l("登录码"), validators=[DataRequired(message=_l("请输入信上的登录码。")), Length(max=40)]
    )


class StaffSigninForm(FlaskForm):
    """Username and password for staff."""

    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])


class UserForm(FlaskForm):
    """A new staff account."""

    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=60)])
    display_name = StringField(_l("姓名"), validators=[Length(max=80)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(max=200)])
    # The least privileged role first, and the default: a slip gives too little, never too much.
    role = SelectField(
        _l("角色"),
        choices=form_choices("role", ROLES_BY_PRIVILEGE),
        default=ROLES_BY_PRIVILEGE[0],
    )
    district = StringField(_l("所属区（区级账号）"), validators=[Length(max=80)])
    communities = SelectMultipleField(_l("小区"), coerce=int)


class UserEditForm(FlaskForm):
    """An existing staff account: name, role, district and communities (not the password)."""

    display_name = StringField(_l("姓名"), validators=[Length(max=80)])
    role = SelectField(_l("角色"), choices=form_choices("role", ROLES_BY_PRIVILEGE))
    district = StringField(_l("所属区（区级账号）"), validators=[Length(max=80)])
    communities = SelectMultipleField(_l("小区"), coerce=int)


class AccountActionForm(FlaskForm):
    """Reset a password, disable or enable an account: a button (the CSRF token is the point)."""


class SwitchSigninForm(FlaskForm):
    """Confirms switching this browser to another household (the CSRF token is the point)."""
