"""Ballot forms: choices are read from the posted fields item-<id> and pledge-<id>."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.core.errors import DomainError
from app.voting.models import CHOICES


class BallotForm(FlaskForm):
    """The CSRF-protected ballot; item fields are dynamic (one per item in scope)."""


class ReceiptForm(FlaskForm):
    """A receipt code to check."""

    receipt = StringField(
        _l("回执码"), validators=[DataRequired(_l("请输入回执码。")), Length(max=40)]
    )


OPTION_PREFIX = "option-"


def parse_ballot_fields(form) -> tuple[dict[int, str | None], set[int]]:
    """Choices and pledges from posted fields; anything malformed is refused, not guessed.

    On an item with options the field's value is "option-<id>" for an agree with that option
    (parse_ballot_options reads which)."""
    choices: dict[int, str | None] = {}
    pledges: set[int] = set()
    for name, value in form.items():
        prefix, _sep, raw_id = name.partition("-")
        if prefix not in ("item", "pledge"):
            continue
        if not raw_id.isdigit():
            raise DomainError(_l("表决内容无效，未被记录。请刷新页面重试。"))
        if prefix == "item":
            if value.startswith(OPTION_PREFIX) and value[len(OPTION_PREFIX) :].isdigit():
                value = "agree"
            if value not in CHOICES:
                raise DomainError(_l("表决内容无效，未被记录。请刷新页面重试。"))
            choices[int(raw_id)] = value
        elif value == "yes":
            pledges.add(int(raw_id))
    return choices, pledges


def parse_ballot_options(form) -> dict[int, int]:
    """{item id: option id} of the items agreed with one of their options (方案比选)."""
    options = {}
    for name, value in form.items():
        prefix, _sep, raw_id = name.partition("-")
        if prefix == "item" and raw_id.isdigit() and value.startswith(OPTION_PREFIX):
            option_id = value[len(OPTION_PREFIX) :]
            if option_id.isdigit():
                options[int(raw_id)] = int(option_id)
    return options


class AssistedForm(FlaskForm):
    """Who authorised a ballot recorded at the door, and who witnessed it."""

    authorised_by = StringField(
        _l("授权人（本人、代理人或家属姓名）"),
        validators=[DataRequired(_l("请填写授权人。")), Length(max=80)],
    )
    witness = StringField(
        _l("见证人"), validators=[DataRequired(_l("请填写见证人。")), Length(max=80)]
    )


class SignupForm(FlaskForm):
    """An answer to an opt-in item (户内自选): the decision comes from the button pressed."""


class DoorSignupForm(FlaskForm):
    """A worker records a household's opt-in answers at the door, with a note."""

    note = StringField(_l("备注（谁答复的，如 业主本人、家属）"), validators=[Length(max=200)])
