"""Application-wide routes: health check."""

from flask import Blueprint
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("core", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database reachability, for the load balancer."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
