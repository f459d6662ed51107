"""CoPlan: participatory planning for old-community renovation (一小区一策)."""

import gc
import hashlib
import importlib
import importlib.util
import os
from functools import partial
from pathlib import Path

from flask import Flask, g, render_template, request, url_for
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.core import vocabulary
from app.core.db import commit_or_rollback, engine_options, keep_sqlite_file_private
from app.core.errors import DomainError
from app.core.nav import community_menu
from app.core.permissions import has_permission
from app.core.queue import configure_queue
from app.core.refusals import handle_refusal, was_refused
from app.core.vocabulary import settlement_words
from app.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale
from app.plans.phases import phase_allows
from app.rules.money import format_fen
from app.rules.text import phone_numbers

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the application: config, extensions, blueprints, errors, CLI."""
    from config import CONFIGS

    app = Flask(
        __name__, template_folder=str(ROOT / "templates"), instance_path=str(ROOT / "instance")
    )
    app.config.from_object(CONFIGS[config_name or os.environ.get("COPLAN_ENV", "development")])
    app.config.update(overrides)
    if app.config["PRODUCTION"] and not (os.environ.get("SECRET_KEY") or "SECRET_KEY" in overrides):
        # Several workers would each make their own key (and code hashes would differ).
        raise RuntimeError("COPLAN_ENV=production needs SECRET_KEY set in the environment")
    register_extensions(app)
    register_models()
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_static_versions(app)
    if app.config["FREEZE_STARTUP_HEAP"]:
        freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Collect once, then freeze every object alive now (gc.freeze): the modules, ORM mappers,
    metadata and routes live as long as the process, and Python's full collections otherwise
    walk them all again and again while a large request (a tally, an export) allocates. Under
    gunicorn with preload the frozen pages also stay shared with the forked workers."""
    gc.collect()
    gc.freeze()


def register_extensions(app: Flask) -> None:
    """Trust the configured proxies' headers, then initialise the extension singletons."""
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Only the last `proxies` hops are believed: a client cannot pick its own address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    keep_sqlite_file_private(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    )
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.staff_signin"
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "app" / "translations"),
    )
    limiter.init_app(app)
    configure_queue(app)


def register_models() -> None:
    """Import every model so metadata (and Alembic) sees all tables."""
    from app.accounts import models as _accounts  # noqa: F401
    from app.aftercare import models as _aftercare  # noqa: F401
    from app.communities import models as _communities  # noqa: F401
    from app.core import audit as _audit  # noqa: F401
    from app.district import models as _district  # noqa: F401
    from app.funding import models as _funding  # noqa: F401
    from app.paper import models as _paper  # noqa: F401
    from app.plans import models as _plans  # noqa: F401
    from app.printing import models as _printing  # noqa: F401
    from app.proposals import models as _proposals  # noqa: F401
    from app.settlement import models as _settlement  # noqa: F401
    from app.tally import models as _tally  # noqa: F401
    from app.voting import models as _voting  # noqa: F401
    from app.works import models as _works  # noqa: F401


# Domain packages, lowest layer first (docs/architecture.md): each with blueprint.py (`bp`),
# views.py (its routes) and optionally cli.py (`commands`).
MODULES = (
    "core",
    "communities",
    "accounts",
    "plans",
    "settlement",
    "proposals",
    "voting",
    "paper",
    "funding",
    "tally",
    "closeout",
    "works",
    "printing",
    "aftercare",
    "reports",
    "district",
)


def register_blueprints(app: Flask) -> None:
    """Attach each module's blueprint; `<int:…>` in routes stops at the largest id."""
    from app.communities.tenancy import MAX_ID

    class IdConverter(IntegerConverter):
        """An id in a URL: a number larger than any id answers 404 instead of overflowing."""

        def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
            super().__init__(url_map, fixed_digits, min, max, signed)

    app.url_map.converters["int"] = IdConverter
    for name in MODULES:
        if importlib.util.find_spec(f"app.{name}.views"):
            importlib.import_module(f"app.{name}.views")  # attaches the routes to the blueprint
            app.register_blueprint(importlib.import_module(f"app.{name}.blueprint").bp)


def register_request_hooks(app: Flask) -> None:
    """One commit per request, security headers on every response."""
    from app.accounts.views import load_principal

    login_manager.user_loader(load_principal)

    @app.before_request
    def refuse_nul_characters():
        """A NUL character is never text a person typed, and PostgreSQL cannot store one: a
        request whose query or form names or values hold one is refused (400) before any view
        reads it, with nothing written."""
        sources = [request.args]
        if request.method == "POST":
            sources.append(request.form)
        for source in sources:
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise NulInInput()

    @app.after_request
    def commit_unit_of_work(response):
        """Commit what the request did when it succeeded; roll back a refusal or an error."""
        if response.status_code < 400 and not was_refused():
            commit_or_rollback()
        else:
            db.session.rollback()
        return response

    @app.after_request
    def security_headers(response):
        """A self-only content policy, no framing, no sniffing, no referrer leaks."""
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Every page may show what only its viewer may see (a household's ballot, a receipt, a
        # district's figures): nothing but the static assets is kept by a browser or a proxy.
        # The ballot's own steps are kept by this browser alone, so Back from the receipt still
        # shows the confirmation instead of an error page.
        if request.path == "/vote":
            response.headers.setdefault("Cache-Control", "private, no-cache")
        elif not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config["PRODUCTION"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response

    @app.teardown_request
    def rollback_on_error(exc):
        """Anything left uncommitted by a failed request is discarded."""
        if exc is not None:
            db.session.rollback()


class NulInInput(BadRequest):
    """A query or form value holding a NUL character (refused before any view reads it)."""


def register_errorhandlers(app: Flask) -> None:
    """Friendly pages for the errors users meet, in their language."""
    messages = {
        400: lambda: _("请求无效，请返回重试。"),
        401: lambda: _("请先登录。"),
        403: lambda: _("您没有权限进行此操作。"),
        404: lambda: _("找不到这个页面。"),
        405: lambda: _("不支持这种操作。"),
        413: lambda: _("上传的文件太大。"),
        429: lambda: _("尝试次数太多，请稍后再试。如需帮助，请联系社区工作人员。"),
        500: lambda: _("系统出错了，您的操作没有完成，请稍后重试。"),
        503: lambda: _("系统暂时无法连接数据库，您的操作没有完成，请稍后重试。"),
    }

    def render(code: int, message: str | None = None):
        return render_template("error.html", code=code, message=message or messages[code]()), code

    for code in messages:
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render(400, _("页面已过期，请返回、刷新后再提交一次。"))

    @app.errorhandler(NulInInput)
    def nul_in_input(e):
        return render(400, _("输入的内容含有无效的空字符（NUL），没有保存。请删除后再提交。"))

    app.register_error_handler(DomainError, handle_refusal)

    @app.errorhandler(OperationalError)
    def database_down(e):
        db.session.rollback()
        return render(503)


def register_commands(app: Flask) -> None:
    """The `flask ...` command groups each module's cli.py lists in `commands`."""
    for name in (*MODULES, "demo"):
        if importlib.util.find_spec(f"app.{name}.cli"):
            for command in importlib.import_module(f"app.{name}.cli").commands:
                app.cli.add_command(command)


def register_vocabulary_filters(app: Flask) -> None:
    """One filter per vocabulary of app.core.vocabulary: ``{{ plan.phase|phase_label }}``,
    ``{{ b.channel|channel_label }}``, ``{{ e.action|audit_action_label }}``, ...; and
    ``{{ e.actor|actor_label(actor_names(events)) }}`` for who did it."""
    from app.accounts.queries import actor_names as names  # the factory imports what it wires

    for kind in vocabulary.VOCABULARIES:
        app.add_template_filter(partial(vocabulary.label, kind), f"{kind}_label")
    app.add_template_filter(vocabulary.phase_label, "phase_label")
    app.add_template_filter(vocabulary.choice_label, "choice_label")
    app.add_template_filter(vocabulary.actor_label, "actor_label")

    @app.template_global()
    def actor_names(events) -> dict[str, str]:
        """Staff users' names and households' addresses for these audit events (two queries)."""
        return names(events)


def register_static_versions(app: Flask) -> None:
    """Static URLs carry a digest of their file (``app.css?v=…``): nginx lets browsers keep them
    a year (deploy/nginx-coplan.conf), and a changed file gets a new URL."""
    digests: dict[str, str] = {}

    @app.url_defaults
    def static_version(endpoint, values):
        if endpoint != "static" or "filename" not in values or "v" in values:
            return
        name = values["filename"]
        if name not in digests:
            path = Path(app.static_folder or "") / name
            data = path.read_bytes() if path.is_file() else b""
            digests[name] = hashlib.sha256(data).hexdigest()[:12] if data else ""
        if digests[name]:
            values["v"] = digests[name]


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates share."""

    @app.template_filter("dt")
    def datetime_filter(value, pattern="yyyy-MM-dd HH:mm"):
        return format_datetime(value, pattern) if value else ""

    @app.template_filter("yuan")
    def yuan_filter(fen):
        """Fen as yuan, exactly, with separators: 123456 → 1,234.56 ("—" for None)."""
        return "—" if fen is None else format_fen(fen)

    @app.template_filter("area")
    def area_filter(value):
        return format_decimal(value, format="#,##0.00")

    register_vocabulary_filters(app)
    app.add_template_filter(phone_numbers)  # tap-to-call links: (text, "tel:...") pairs
    app.add_template_filter(settlement_words)  # 退 / 补 of final accounts and change orders

    @app.template_global()
    def can(permission: str) -> bool:
        """The signed-in staff user holds the permission (menus, buttons, links)."""
        return has_permission(current_user, permission)

    @app.template_global()
    def may(action: str, plan) -> bool:
        """The plan's phase lets the signed-in user's role take `action` (plans.phases table)."""
        return phase_allows(getattr(current_user, "role", ""), action, plan.phase)

    @app.template_global()
    def url_for_safe(endpoint: str, **values) -> str:
        """url_for, or "" when the endpoint does not exist (a module not installed)."""
        if endpoint not in app.view_functions:
            return ""
        return url_for(endpoint, **values)

    @app.context_processor
    def inject():

        return {
            "current_locale": str(get_locale()),
            "community": g.get("community"),
            "community_menu": community_menu,
        }
