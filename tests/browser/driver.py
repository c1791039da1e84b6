"""Browser scenarios of the web workspace, run one per process by tests/browser/test_*.py.

Playwright's sync API cannot run under the eventlet monkey-patching the test process needs for
nameko, so each scenario runs here, in a plain Python process, against the platform the test
started: `python -m tests.browser.run <scenario> <job.json>`. It prints one JSON line: what
it measured, the console errors and the serious or critical axe-core violations it met.
"""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESK = {"width": 1366, "height": 860}
PHONE = {"width": 375, "height": 812}
# A deliberate 4xx (a field error, an expired token) is logged by Chromium as a failed resource;
# that is the scenario working, not an error of the page. Anything else counts.
EXPECTED_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")
SCENARIOS = {}
expect.set_options(timeout=10_000)


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


class Run:
    """One scenario's browser, pages, screenshots and findings."""

    def __init__(self, pw, job: dict):
        self.job, self.base = job, job["base"]
        self.shots = Path(job["shots"])
        self.shots.mkdir(parents=True, exist_ok=True)
        self.browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        self.console: list[str] = []
        self.axe: list[dict] = []
        self.figures: dict = {}
        self.scanned: set[str] = set()
        self.pages: list[Page] = []

    def page(self, viewport=DESK) -> Page:
        # bypass_csp: the gateway's CSP (script-src 'self') rightly refuses inline scripts; the
        # tests inject axe-core inline, so their pages let it in.
        context = self.browser.new_context(viewport=viewport, locale="zh-CN",
                                           timezone_id="Asia/Shanghai", accept_downloads=True,
                                           bypass_csp=True)
        page = context.new_page()
        self.pages.append(page)
        page.on("console", lambda m: self._console(page, m))
        page.on("pageerror", lambda e: self.console.append(f"{page.url}: {e}"))
        return page

    def _console(self, page, message) -> None:
        if message.type == "error" and not EXPECTED_CONSOLE.search(message.text):
            self.console.append(f"{page.url}: {message.text}")

    def go(self, page: Page, path: str) -> None:
        page.goto(self.base + path)

    def login(self, page: Page, username: str, password: str, path: str = "/login") -> None:
        self.go(page, path)
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登 录").or_(page.get_by_role("button", name="登录")).click()
        expect(page).not_to_have_url(re.compile(r"/login"))

    def user(self, role: str) -> tuple[str, str]:
        u = self.job["users"][role]
        return u["username"], u["password"]

    def shot(self, page: Page, name: str, scan: bool = True) -> None:
        """A screenshot of the screen as it is, and an accessibility scan of it."""
        try:
            page.wait_for_load_state("networkidle", timeout=3000)
        except Exception:
            pass  # a PDF viewer or a poll keeps the network busy: the spinners below decide
        # The screen's own chunk is in (its heading shows), every list and chart has its data
        # (no spinner left), then antd's animations.
        expect(page.locator("h1, h2, h3, .ant-result-title").first).to_be_visible()
        expect(page.locator(".ant-spin-spinning")).to_have_count(0)
        page.wait_for_timeout(300)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header where it belongs
        width = page.viewport_size["width"]
        page.screenshot(path=str(self.shots / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            self.figures.setdefault("overflow", {})[f"{name}-{width}"] = overflow
        # One accessibility scan per screen: what axe checks (names, roles, contrast) does not
        # change with the width, and a scan costs seconds; the overflow check above does.
        if scan and name not in self.scanned:
            self.scanned.add(name)
            self.scan(page, f"{name}-{width}")

    def scan(self, page: Page, name: str) -> None:
        page.add_script_tag(path=str(AXE))
        # A toast (antd message) fading in or out is measured at part opacity: left out.
        found = page.evaluate("""async () => (await axe.run({exclude: [['.ant-message']]}, {resultTypes: ['violations']}))
            .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
        for violation in found:
            self.axe.append({"screen": name, **violation})

    def failed(self, name: str) -> None:
        """What each page showed when the scenario failed, for the one who reads the failure."""
        for n, page in enumerate(self.pages):
            try:
                page.screenshot(path=str(self.shots / f"FAILED-{name}-{n}.png"), full_page=True)
            except Exception:
                pass

    def close(self) -> None:
        self.browser.close()


def field_error(scope, label: str):
    """The error text shown beside the form field labelled `label` (within a page or a dialog)."""
    item = scope.get_by_label(label, exact=True).locator(
        "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' ant-form-item ')][1]")
    return item.locator(".ant-form-item-explain-error").first


def pick(page: Page, label, option: str) -> None:
    """Chooses `option` in an antd Select (its label, or the combobox itself): open it, type to
    filter where it searches, pick the option from the open list."""
    if isinstance(label, str):
        field = page.get_by_role("combobox", name=re.compile(rf"^(\* )?{re.escape(label)}$"))
    else:
        field = label
    select = field.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' ant-select ')][1]")
    open_lists = page.locator(".ant-select-dropdown:visible")
    for attempt in range(3):
        select.click()
        if field.get_attribute("readonly") is None:
            page.keyboard.type(option)
        open_lists.locator(".ant-select-item-option").filter(has_text=option).first.click()
        try:
            expect(open_lists).to_have_count(0, timeout=5000 if attempt < 2 else 10000)
            return
        except AssertionError:
            if attempt == 2:
                raise
            # On a loaded machine a click can land while the list is still animating open and
            # be lost (the list stays open): close it and pick again.
            page.keyboard.press("Escape")
            expect(open_lists).to_have_count(0)


def pick_date(page: Page, field, value: str) -> None:
    """Types a date (or date and time) into an antd DatePicker and confirms it without Enter
    (which would also submit the form): the panel's OK where a picker with a time asks for it,
    else Tab, which keeps what was typed."""
    field.click()
    field.fill(value)
    ok = page.locator(".ant-picker-dropdown:visible .ant-picker-ok button")
    if ok.count() and ok.first.is_visible():
        ok.first.click()
    else:
        field.press("Tab")
    expect(field).to_have_value(value)
