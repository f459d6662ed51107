"""Configuration classes; environment variables override the defaults."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("COPLAN_INSTANCE") or BASE_DIR / "instance")


def _persistent_secret(name: str) -> str:
    """Return a random secret kept in instance/, so a dev server keeps sessions and codes."""
    INSTANCE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = INSTANCE_DIR / name
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    """DATABASE_URL, else an SQLite file in instance/."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the old driver; we use psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    INSTANCE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'coplan.sqlite3'}"


class Config:
    """Defaults shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or _persistent_secret("secret_key")
    # Keys the hashes of sign-in codes and owner IDs; changing it invalidates every issued code.
    HASH_KEY = os.environ.get("COPLAN_HASH_KEY") or SECRET_KEY
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}  # noqa: RUF012 (Flask config)
    MAX_CONTENT_LENGTH = int(os.environ.get("COPLAN_MAX_UPLOAD", 10 * 1024 * 1024))
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("COPLAN_TIMEZONE", "Asia/Shanghai")
    LANGUAGES = ("zh_CN", "en")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Namespaces the counters when several deployments share one Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "coplan")
    # Household code sign-in limits: per client address, and per household signed into.
    SIGNIN_LIMIT_PER_CLIENT = os.environ.get("COPLAN_SIGNIN_LIMIT", "10 per minute;60 per hour")
    SIGNIN_LIMIT_PER_HOUSEHOLD = os.environ.get("COPLAN_HOUSEHOLD_LIMIT", "20 per hour")
    STAFF_SIGNIN_LIMIT = os.environ.get("COPLAN_STAFF_SIGNIN_LIMIT", "10 per minute")
    # Per staff account, whatever address the attempts come from (password guessing spread out).
    STAFF_SIGNIN_LIMIT_PER_ACCOUNT = os.environ.get(
        "COPLAN_STAFF_ACCOUNT_LIMIT", "10 per minute;30 per hour"
    )
    # How many reverse proxies (nginx) stand in front of the app: their X-Forwarded-For and
    # X-Forwarded-Proto are believed, so rate limits key on the real client. 0: none believed.
    TRUSTED_PROXIES = int(os.environ.get("COPLAN_TRUSTED_PROXIES", "0"))
    # Base of the QR sign-in links printed on letters, e.g. https://coplan.example.gov.cn
    PUBLIC_BASE_URL = os.environ.get("COPLAN_PUBLIC_URL", "")
    # Sign-ins end on the server after this long unused, or this long after signing in, so a
    # copied cookie or a forgotten office browser stops working (app.accounts.sessions).
    STAFF_SESSION_IDLE_MINUTES = int(os.environ.get("COPLAN_STAFF_IDLE_MINUTES", "120"))
    STAFF_SESSION_MAX_HOURS = int(os.environ.get("COPLAN_STAFF_MAX_HOURS", "12"))
    HOUSEHOLD_SESSION_IDLE_DAYS = int(os.environ.get("COPLAN_HOUSEHOLD_IDLE_DAYS", "14"))
    HOUSEHOLD_SESSION_MAX_DAYS = int(os.environ.get("COPLAN_HOUSEHOLD_MAX_DAYS", "31"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PAGE_SIZE = 50
    PRODUCTION = False
    # The job queue (print batches, archives): an embedded SQLite queue in instance/, or Redis.
    QUEUE_URL = os.environ.get("COPLAN_QUEUE_URL") or f"sqlite:///{INSTANCE_DIR / 'queue.sqlite3'}"
    # Run queued tasks at once in the calling process (tests), instead of in `flask jobs worker`.
    QUEUE_IMMEDIATE = False
    # An archive of a plan with more households than this is built by the worker, not in the
    # request: the download answers at once with a progress page.
    ARCHIVE_INLINE_HOUSEHOLDS = int(os.environ.get("COPLAN_ARCHIVE_INLINE_HOUSEHOLDS", "1000"))
    # The same for a plan's exports (CSV/XLSX), which take seconds beyond a few thousand.
    EXPORT_INLINE_HOUSEHOLDS = int(os.environ.get("COPLAN_EXPORT_INLINE_HOUSEHOLDS", "2000"))
    # The district overview counts at most this many plans whose stored tally summary is stale
    # itself; the rest show their last count while the rollup job recounts them.
    DISTRICT_INLINE_RECOUNTS = int(os.environ.get("COPLAN_DISTRICT_INLINE_RECOUNTS", "20"))
    # Move what the app built at start (modules, mappers, metadata) out of the garbage
    # collector's sight, so its full collections stop walking them on every large request
    # (app.freeze_startup_heap; bench/tally.py measured 4 ms of a 57 ms tally in them).
    FREEZE_STARTUP_HEAP = True


class DevelopmentConfig(Config):
    """Local runs on the embedded SQLite database."""

    DEBUG = False


class TestingConfig(Config):
    """The test suite: COPLAN_TEST_DATABASE_URL selects PostgreSQL, else a temporary SQLite."""

    TESTING = True
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = True
    SECRET_KEY = "test-secret"
    HASH_KEY = "test-hash-key"
    QUEUE_IMMEDIATE = True
    # The suite makes many apps in one process; frozen, none of them could ever be freed.
    FREEZE_STARTUP_HEAP = False


class ProductionConfig(Config):
    """Behind nginx on PostgreSQL, with Redis for shared rate-limit counters."""

    PRODUCTION = True
    # The documented topology: gunicorn behind one nginx (README, Deploying).
    TRUSTED_PROXIES = int(os.environ.get("COPLAN_TRUSTED_PROXIES", "1"))
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    QUEUE_URL = os.environ.get("COPLAN_QUEUE_URL", "redis://127.0.0.1:6379/1")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
