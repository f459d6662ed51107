"""The one refusal path: a DomainError means nothing it wrote is kept, the user reads why.

A view that shows the reasons on its own page calls `refuse(exc)` (or `flash_refusal(exc)` before
a redirect); a DomainError a view does not catch reaches `handle_refusal`, registered for the whole
app. Either way the session is rolled back and the request is marked refused, and the app's one
commit (app.register_request_hooks) never runs for a refused request, whatever its status code.
"""

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request
from flask_babel import gettext as _

from app.core.errors import DomainError
from app.core.urls import local_target
from app.extensions import db


def refuse(exc: DomainError) -> list[str]:
    """Discard what the refused operation wrote and mark the request refused; its reasons."""
    db.session.rollback()
    g.refused = True
    return exc.reasons


def form_errors(form) -> list[str]:
    """Every message of a form that did not validate, or a general one when no field says."""
    return [e for field in form for e in field.errors] or [_("请检查填写的内容。")]


def flash_refusal(exc: DomainError) -> None:
    """Refuse, and flash the reasons (joined by "；") for the page the request redirects to."""
    refuse(exc)
    flash(str(exc), "error")


def was_refused() -> bool:
    """True when an operation of this request was refused (its writes must not be committed)."""
    return bool(g.get("refused"))


def _same_site_referrer() -> str | None:
    """The page the request came from, if it is on this site (never an outside address)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return local_target(parts.path + (f"?{parts.query}" if parts.query else ""), None)


def handle_refusal(exc: DomainError):
    """A DomainError no view caught: back to the page the form was on, with the reasons."""
    flash_refusal(exc)
    back = _same_site_referrer()
    if request.method != "GET" and back:
        return redirect(back, code=303)
    return render_template("error.html", code=409, message=str(exc)), 409
