"""Browser tests: Debian's Chromium driven by Playwright at a phone size, against a live server.

The live server serves the session's test app (tests/conftest.py: its own migrated SQLite file,
or PostgreSQL when COPLAN_TEST_DATABASE_URL is set) on a free 127.0.0.1 port from a thread, so
the `factory` fixture and the browser see the same database, emptied before every test.
Without /usr/bin/chromium the tests are skipped with a message; in CI (CI set) they fail.
Each test saves a screenshot per step under artifacts/e2e/<test>/<nn-step>.png.
"""

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("COPLAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
DESKTOP = {
    "viewport": {"width": 1280, "height": 800},
    "device_scale_factor": 1,
    "is_mobile": False,
    "has_touch": False,
}
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
_skipped_reason: list[str] = []


def in_ci() -> bool:
    """True when running in CI, where a missing browser is a failure, not a skip."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e is a browser test (marker `e2e`), and slow (marker `slow`)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter):
    """Say loudly that the browser tests did not run."""
    if _skipped_reason:
        terminalreporter.write_sep("!", f"browser tests SKIPPED: {_skipped_reason[0]}", yellow=True)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (never a downloaded browser)."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = (
            f"{CHROMIUM} not found; install it with: apt-get install chromium fonts-wqy-microhei"
        )
        if in_ci():
            pytest.fail(f"CI needs the browser tests: {reason}")
        _skipped_reason.append(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


class Phone:
    """A phone browser context with its pages, console errors and numbered screenshots."""

    def __init__(self, browser, base_url: str, shots_dir: Path, **options):
        self.base_url = base_url
        self.context = browser.new_context(base_url=base_url, **{**PHONE, **options})
        self.context.set_default_timeout(15_000)
        self.shots_dir = shots_dir
        self.errors: list[str] = []
        self.page = self.new_page()

    def new_page(self):
        """A page whose console errors and CSP violations are collected."""
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", self._response)
        return page

    def _console(self, message):
        # A page answered with 401/404 logs "Failed to load resource": the test checks the
        # status it expects; a failed sub-resource is caught by _response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response):
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")

    def shot(self, step: str, page=None, full: bool = True) -> Path:
        """Save a screenshot (the whole page, or the first screen) as <nn-step>.png."""
        self.shots_dir.mkdir(parents=True, exist_ok=True)
        n = len(list(self.shots_dir.glob("*.png"))) + 1
        path = self.shots_dir / f"{n:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', step)}.png"
        (page or self.page).screenshot(path=str(path), full_page=full)
        return path

    def close(self):
        self.context.close()


def _shots_dir(request, sub: str = "") -> Path:
    """artifacts/e2e/<test>[/sub], emptied of the screenshots of an earlier run."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    path = ARTIFACTS / name / sub if sub else ARTIFACTS / name
    if path.exists():
        for old in path.glob("*.png"):
            old.unlink()
    return path


@pytest.fixture
def phone(browser, live_server, request):
    """A fresh phone (zh-CN, 390×844) for one test; fails the test on console errors."""
    device = Phone(browser, live_server, _shots_dir(request))
    yield device
    errors = list(device.errors)
    device.close()
    assert not errors, f"browser console errors (CSP violations?): {errors}"


@pytest.fixture
def second_phone(browser, live_server, request):
    """Another phone with its own cookies (another household or a worker)."""
    device = Phone(browser, live_server, _shots_dir(request, "second"))
    yield device
    errors = list(device.errors)
    device.close()
    assert not errors, f"browser console errors (CSP violations?): {errors}"


@pytest.fixture
def desktop(browser, live_server, request):
    """A worker's desktop browser (1280×800, zh-CN), e.g. for keying paper ballots."""
    device = Phone(browser, live_server, _shots_dir(request, "desktop"), **DESKTOP)
    yield device
    errors = list(device.errors)
    device.close()
    assert not errors, f"browser console errors (CSP violations?): {errors}"


@pytest.fixture
def axe_phone(browser, live_server, request):
    """A phone that bypasses the CSP so the vendored axe-core script can be injected."""
    device = Phone(browser, live_server, _shots_dir(request), bypass_csp=True)
    yield device
    device.close()


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core on the page; one line per violation of the given impacts."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for v in result["violations"]:
        if v["impact"] in impacts:
            targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            lines.append(f"{v['impact']} {v['id']}: {v['help']} [{targets}]")
    return lines


VOTER = ("3号楼", "2单元", "601")  # 4 of the example plan's 5 items, the elevator (B1) included


@pytest.fixture
def voter(app, factory):
    """The example community with its example plan open for voting; one household's code."""
    from tests.reliability.conftest import build_voting_plan

    setup = build_voting_plan(app)
    codes = factory.codes(setup["community_id"])
    return {**setup, "code": codes[VOTER], "household_id": setup["households"][VOTER]}
