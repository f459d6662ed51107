"""deploy/ agrees with the app and the README: every configuration variable in the environment
template, nginx's body limits equal to the app's, the units hardened. Pure: no app is created."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _readme_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration (environment)", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`([A-Z_]+)`", cell)}


def _read_variables(path: Path) -> set[str]:
    return set(re.findall(r"environ(?:\.get)?[\(\[]\"([A-Z_]+)\"", path.read_text()))


def test_every_variable_read_is_in_the_readme_table():
    read = _read_variables(ROOT / "config.py")
    for path in DEPLOY.glob("*.py"):
        read |= _read_variables(path)
    for path in (ROOT / "app").rglob("*.py"):
        read |= _read_variables(path)
    assert read, "no environment variables found: the pattern is stale"
    assert read - _readme_variables() == set()


def test_the_environment_template_has_every_variable_of_the_readme_table():
    template = (DEPLOY / "coplan.env.example").read_text(encoding="utf-8")
    present = set(re.findall(r"^#?([A-Z_]+)=", template, flags=re.MULTILINE))
    assert _readme_variables() - present == set()
    # No real secret: the secret is a placeholder.
    assert re.search(r"^SECRET_KEY=REPLACE_ME$", template, flags=re.MULTILINE)


def test_nginx_body_limits_match_the_app():
    from app.proposals.views import UPLOAD_ENDPOINTS, UPLOAD_LIMIT
    from app.reports.archive.views import DEFAULT_VERIFY_LIMIT
    from config import Config

    site = (DEPLOY / "nginx-coplan.conf").read_text()
    limits = [int(n) for n in re.findall(r"client_max_body_size (\d+)m;", site)]
    mb = 1024 * 1024
    expected = [Config.MAX_CONTENT_LENGTH, UPLOAD_LIMIT, DEFAULT_VERIFY_LIMIT]
    assert limits == [limit // mb for limit in expected]
    assert UPLOAD_LIMIT % mb == 0 and len(UPLOAD_ENDPOINTS) == 3  # the photo location's 3 paths
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "alias /srv/coplan/app/static/;" in site


def test_nginx_proxies_to_where_gunicorn_listens():
    conf = (DEPLOY / "gunicorn.conf.py").read_text()
    bind = re.search(r'"COPLAN_BIND", "([^"]+)"', conf).group(1)
    assert f"server {bind};" in (DEPLOY / "nginx-coplan.conf").read_text()


def test_units_are_hardened_and_read_the_environment_file():
    for name, command in (
        ("coplan-web.service", 'gunicorn -c deploy/gunicorn.conf.py "app:create_app()"'),
        ("coplan-worker.service", "flask jobs worker"),
    ):
        unit = (DEPLOY / name).read_text()
        for line in (
            "User=coplan",
            "EnvironmentFile=/etc/coplan/coplan.env",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "NoNewPrivileges=yes",
            "Restart=on-failure",
        ):
            assert f"\n{line}\n" in unit, (name, line)
        assert command in unit, name
    web = (DEPLOY / "coplan-web.service").read_text()
    assert web.index("ExecStartPre=/srv/coplan/.venv/bin/python deploy/preflight.py") < web.index(
        "ExecStartPre=/srv/coplan/.venv/bin/flask db upgrade"
    )
