"""Before production starts (`make prod`, coplan-web.service): the settings it cannot run without
and the services it needs, each problem said in one line. Exit status 1 on any.

Run from the checkout with the production environment: `.venv/bin/python deploy/preflight.py`.
"""

import os
import sys

KEY_HINT = "export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"


def problems() -> list[str]:
    """What stops production from starting, in the order an operator would fix it."""
    found = []
    if not os.environ.get("SECRET_KEY"):
        found.append(
            "SECRET_KEY is not set: production needs one key shared by every worker "
            f"({KEY_HINT}, or load /etc/coplan/coplan.env; README, Deploying)"
        )
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgresql", "postgres://")):
        found.append(
            "DATABASE_URL must name PostgreSQL (postgresql+psycopg://USER@HOST:5432/DB), "
            f"not {url!r}"
        )
    else:
        found += _postgres(url)
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    if storage.startswith(("redis://", "rediss://")):
        found += _redis(storage)
    return found


def _postgres(url: str) -> list[str]:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        psycopg.connect(plain, connect_timeout=5).close()
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return [f"PostgreSQL not reachable at DATABASE_URL: {first}"]
    return []


def _redis(storage: str) -> list[str]:
    import redis

    try:
        redis.Redis.from_url(storage, socket_connect_timeout=3).ping()
    except redis.exceptions.RedisError as exc:
        return [f"Redis (rate limits) not reachable at RATELIMIT_STORAGE_URI={storage}: {exc}"]
    return []


def main() -> int:
    found = problems()
    for problem in found:
        print(f"production cannot start: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
