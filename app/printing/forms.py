"""Forms of the printing pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class BatchForm(FlaskForm):
    """Which households a batch prints, and where residents get help (letters)."""

    class Meta:
        csrf = False  # the choice is a GET; the confirmation below carries the token

    batch = SelectField(_l("打印范围"), validators=[DataRequired()])
    contact = StringField(
        _l("求助联系方式（印在信上）"),
        validators=[Length(max=200)],
        description=_l("例如：社区居委会 王书记 0571-8888 6666（工作日 9:00–17:00）"),
    )


class ConfirmBatchForm(FlaskForm):
    """The confirmation that queues the batch."""

    batch = HiddenField(validators=[DataRequired()])
    contact = HiddenField(validators=[Length(max=200)])


class NoticeForm(FlaskForm):
    """What a result notice adds to the count: who to contact about objections."""

    class Meta:
        csrf = False  # a GET that only downloads a PDF

    contact = StringField(_l("异议受理联系方式"), validators=[Length(max=200)])
