"""How a page answers a refused operation: nothing it wrote stays, and the user reads why."""

from flask import flash

from app.core.errors import DomainError
from app.extensions import db


def flash_refusal(exc: DomainError) -> None:
    """Roll back what the refused operation wrote, and flash its reasons (joined by "；").

    The request still ends in a redirect (status < 400), which commits: rolling back here
    keeps a refusal from committing whatever the operation flushed before it refused.
    """
    db.session.rollback()
    flash(str(exc), "error")
