"""Sign-in for households (code or QR link) and staff (password); the household home page."""

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from limits import parse_many
from sqlalchemy import select

from app.accounts import sessions
from app.accounts.blueprint import bp
from app.accounts.forms import HouseholdSigninForm, StaffSigninForm, SwitchSigninForm, UserForm
from app.accounts.models import HouseholdPrincipal, User
from app.accounts.operations import create_user, may_manage
from app.accounts.queries import household_by_code
from app.communities.models import Community, Household
from app.communities.tenancy import staff_required, visible_communities_query
from app.core.audit import log_event
from app.core.errors import DomainError
from app.core.refusals import refuse
from app.core.urls import local_target
from app.extensions import db, limiter


def load_principal(identity: str):
    """Flask-Login loader: a staff user ("u:ID") or a household ("h:ID:GENERATION"), accepted
    only while this browser's server-side sign-in is open (app.accounts.sessions)."""
    kind, _sep, rest = identity.partition(":")
    principal, owner, row = None, {}, None
    if kind == "u" and rest.isdigit():
        user, row = sessions.load_with_sign_in(User, int(rest))
        if user and user.active:
            principal, owner = user, {"user_id": user.id}
    elif kind == "h":
        hid, _sep, generation = rest.partition(":")
        if hid.isdigit() and generation.isdigit():
            household, row = sessions.load_with_sign_in(Household, int(hid))
            if household and household.code_hash and household.code_generation == int(generation):
                principal, owner = HouseholdPrincipal(household), {"household_id": household.id}
    if principal is None:
        return None
    reason = sessions.current(row, **owner)
    if reason is None:
        return principal
    if reason in ("idle", "expired"):
        flash(_("为了安全，长时间未操作已自动退出，请重新登录。"), "info")
    elif reason == "reset":
        flash(_("您的密码已由管理员重置，请用新密码登录。"), "info")
    session.pop("_user_id", None)  # asked once: the next page is simply signed out
    session.pop(sessions.SESSION_KEY, None)
    return None


def _fresh_session() -> None:
    """Start a new session (no fixation across sign-in), keeping the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _client_limit():
    return current_app.config["SIGNIN_LIMIT_PER_CLIENT"]


def _household_limit_exceeded(household: Household) -> bool:
    """Count a sign-in against the household; True when it has signed in too often (never
    when the operator turned rate limiting off: RATELIMIT_ENABLED=False)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    strategy = limiter.limiter
    limits = parse_many(current_app.config["SIGNIN_LIMIT_PER_HOUSEHOLD"])
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    return not all(
        strategy.hit(limit, prefix, "household-signin", str(household.id)) for limit in limits
    )


def _sign_in_household(household: Household, via: str):
    """Start a household session, or explain why not."""
    if _household_limit_exceeded(household):
        return render_template(
            "accounts/household_signin.html",
            form=HouseholdSigninForm(),
            error=_("这一户最近登录太频繁，请一小时后再试；如有疑问请联系社区工作人员。"),
        ), 429
    _fresh_session()
    sessions.start(household_id=household.id)
    login_user(HouseholdPrincipal(household))
    log_event(
        "household.signin",
        "household",
        household.id,
        community_id=household.community_id,
        after={"via": via},
    )
    return redirect(url_for("voting.household_home"))


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_client_limit, methods=["POST"])
def household_signin():
    """The landing page: type the code from the letter."""
    if request.method == "GET" and getattr(current_user, "is_household", False):
        return redirect(url_for("voting.household_home"))
    form = HouseholdSigninForm()
    error = None
    if form.validate_on_submit():
        household = household_by_code(form.code.data)
        if household is not None:
            return _sign_in_household(household, "code")
        error = _("登录码不正确。请对照信上的登录码重新输入，或联系社区工作人员。")
    return render_template("accounts/household_signin.html", form=form, error=error), (
        401 if error else 200
    )


@bp.route("/h/<token>", methods=["GET", "POST"])
@limiter.limit(_client_limit)
def qr_signin(token: str):
    """The QR link printed on the letter signs the household in directly.

    When this browser is already signed in as someone else (another household, or staff), a
    link alone never switches it: a page asks first, and only its form (with the CSRF token of
    this browser's session) signs the new household in. A link sent by someone else cannot
    quietly put a resident's vote into the sender's household.
    """
    household = household_by_code(token)
    if household is None:
        return render_template(
            "accounts/household_signin.html",
            form=HouseholdSigninForm(),
            error=_("这个二维码链接已失效。请输入信上的登录码，或联系社区工作人员补发。"),
        ), 401
    if request.method == "GET" and current_user.is_authenticated:
        signed_in = getattr(current_user, "household", None)
        if signed_in is not None and signed_in.id == household.id:
            return redirect(url_for("voting.household_home"))
        return render_template(
            "accounts/switch_signin.html",
            household=household,
            community=db.session.get(Community, household.community_id),
            signed_in=signed_in,
            signed_in_community=signed_in and db.session.get(Community, signed_in.community_id),
            form=SwitchSigninForm(),
        )
    return _sign_in_household(household, "qr")


@bp.route("/signout", methods=["POST"])
def signout():
    """End any session, household or staff."""
    was_staff = getattr(current_user, "is_staff", False)
    sessions.end()
    logout_user()
    _fresh_session()
    return redirect(url_for("accounts.staff_signin" if was_staff else "accounts.household_signin"))


@bp.route("/staff/signin", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_SIGNIN_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["STAFF_SIGNIN_LIMIT_PER_ACCOUNT"],
    key_func=lambda: "account:" + request.form.get("username", "").strip().casefold()[:80],
    methods=["POST"],
)
def staff_signin():
    """Password sign-in for workers, committee members and district staff."""
    form = StaffSigninForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is None or not user.active:
            User.check_no_password(form.password.data)  # the same time as a real check
        elif user.check_password(form.password.data):
            _fresh_session()
            sessions.start(user_id=user.id)
            login_user(user)
            # Only a path on this site: never an open redirect.
            return redirect(
                local_target(request.args.get("next"), url_for("communities.staff_home"))
            )
        error = _("用户名或密码不正确。")
    return render_template("accounts/staff_signin.html", form=form, error=error), (
        401 if error else 200
    )


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language for this browser."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(local_target(request.form.get("next"), "/"))


@bp.route("/staff/users")
@staff_required("user.manage")
def users():
    """Staff accounts the current admin or district user manages."""
    query = select(User).order_by(User.role, User.username)
    if current_user.role == "district":
        query = query.where(User.district == current_user.district)
    return render_template(
        "accounts/users.html", users=db.session.scalars(query).all(), may_manage=may_manage
    )


@bp.route("/staff/users/new", methods=["GET", "POST"])
@staff_required("user.manage")
def new_user():
    """Create a worker, committee or district account."""
    visible = db.session.scalars(visible_communities_query(current_user)).all()
    form = UserForm()
    form.communities.choices = [(c.id, c.name) for c in visible]
    if current_user.role != "admin":
        form.role.choices = [c for c in form.role.choices if c[0] in ("worker", "committee")]
    errors = []
    if form.validate_on_submit():
        chosen = [c for c in visible if c.id in set(form.communities.data or [])]
        # District staff create accounts inside their own district only.
        district = (
            current_user.district if current_user.role == "district" else form.district.data or ""
        )
        try:
            user = create_user(
                form.username.data,
                form.password.data,
                form.role.data,
                communities=chosen,
                district=district,
                display_name=form.display_name.data or "",
            )
        except DomainError as exc:
            errors = refuse(exc)
        else:
            flash(_("已创建账号 %(name)s。", name=user.username), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, errors=errors)


from app.accounts import user_views  # noqa: E402, F401  (routes on the same blueprint)
