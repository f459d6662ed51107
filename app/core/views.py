"""Application-wide routes: health check."""

from sqlalchemy import text

from app.core.blueprint import bp
from app.extensions import db, limiter


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database reachability, for the load balancer."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
