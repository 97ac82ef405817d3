"""The browser app in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

Starts ``solara run sim/viz/app.py --production`` on a free localhost port, loads the page with every request that
leaves localhost blocked (so it also proves the page works without the CDN, from the front-end
files ``.ci/solara_assets.py`` cached), steps the model, plays it, switches the policy and saves a
screenshot. Set SCAMSIM_UPDATE_SCREENSHOT=1 to also copy the screenshot to docs/img/app.png.
The server is always terminated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sim.cli import app as appcli
from sim.common.resources import source_root
from sim.scenario.loader import load_scenario
from sim.viz import scenarios

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path(os.environ.get("SCAMSIM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPO = source_root()
RAID_LABEL = "Raid frequency (raids/agency/year)"
SERVER_START_S = 120
PLAY_S = 4.0


def wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the server did not answer at {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve(cmd: list[str], log: Path, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", **(extra_env or {})}
    with log.open("w") as out:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture
def server(tmp_path, request):
    """``solara run sim/viz/app.py`` opening ``baseline.toml``, or the scenario a test passes (indirect parametrize)."""
    scenario = getattr(request, "param", "baseline.toml")
    port = appcli.free_port()
    log = tmp_path / "server.log"
    # Production mode: no file watching, so an edit to sim/ during the test cannot reload the page mid-test.
    cmd = [sys.executable, "-m", "solara", "run", "sim/viz/app.py", "--port", str(port), "--host", "127.0.0.1", "--no-open", "--production"]
    proc = serve(cmd, log, {scenarios.SCENARIO_ENV: str(scenarios.resolve_scenario(scenario))})
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, proc, log, SERVER_START_S)
        yield url, log
    finally:
        stop(proc)


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium, or set SCAMSIM_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            yield page
        finally:
            browser.close()


def week(page) -> int:
    return int(page.locator(".scamsim-week").inner_text().split()[0])


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def step(page) -> None:
    """Click Step and wait for the week counter to move (a click during the first renders can be lost: retry)."""
    start = week(page)
    for _attempt in range(3):
        page.get_by_role("button", name="Step").click()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if week(page) > start:
                return
            time.sleep(0.1)
    pytest.fail(f"Step did not advance the week from {start}")


def test_app_in_chromium(server, browser_page, tmp_path):
    url, log = server
    page = browser_page
    outside, cdn_failures, console_errors = [], [], []

    def route(r):
        if r.request.url.startswith(url):
            r.continue_()
        else:  # nothing may leave localhost: the page must work offline
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("response", lambda resp: cdn_failures.append(f"{resp.status} {resp.url}")
            if "/_solara/cdn/" in resp.url and resp.status >= 400 else None)
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    page.goto(url)
    page.locator(".scamsim-week").wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle")
    time.sleep(1.0)  # let the first renders settle before clicking
    assert week(page) == 0
    images = page.locator(".vue-grid-item img")
    assert images.count() == 2, "the map and the charts"
    charts_before = images.nth(1).get_attribute("src")

    step(page)
    per_click = week(page)  # Step advances the render interval's worth of weeks
    for n in range(2, 4):
        step(page)
        assert week(page) == n * per_click
    wait_until(lambda: images.nth(1).get_attribute("src") != charts_before, 10, "the charts to be redrawn")

    # Play a few seconds and time the week counter.
    page.get_by_role("button", name="▶").click()
    page.get_by_role("button", name="❚❚").wait_for(timeout=10_000)
    w0, t0 = week(page), time.monotonic()
    time.sleep(PLAY_S)
    w1, t1 = week(page), time.monotonic()
    page.get_by_role("button", name="❚❚").click()
    rate = (w1 - w0) / (t1 - t0)
    print(f"\nbrowser: {rate:.1f} weeks/s while playing (render interval {per_click})")
    if w1 <= w0:
        page.screenshot(path=str(tmp_path / "not-playing.png"), full_page=True)
        pytest.fail(f"playing did not advance the week ({w0} -> {w1}); screenshot in {tmp_path}; server log:\n{log.read_text()[-2000:]}")

    # Switch the policy to none and reset.
    page.locator(".v-select").filter(has_text="Policy type").click()
    page.get_by_role("option", name="none", exact=True).click()
    page.get_by_role("button", name="Reset").click()
    wait_until(lambda: "none, from week" in page.locator(".scamsim-policy").inner_text(), 30, "the policy to switch to none")
    assert week(page) == 0
    for n in range(1, 3):
        step(page)
        assert week(page) == n * per_click

    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("SCAMSIM_UPDATE_SCREENSHOT"):
        docs_screenshot(page, tmp_path / "docs-app.png")

    body = page.locator("body").inner_text()
    server_log = log.read_text()
    assert "Traceback" not in body and "error in step" not in body, body[-3000:]
    assert "Traceback" not in server_log, server_log[-3000:]
    assert "Could not load URL" not in server_log, "the server tried the CDN: run .ci/solara_assets.py"
    assert not cdn_failures, cdn_failures
    assert not outside, f"the page tried to leave localhost: {outside}"


def open_page(page, url: str) -> None:
    """Load the app and wait until its first renders have settled."""
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
    page.goto(url)
    page.locator(".scamsim-week").wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle")
    time.sleep(1.0)


def measure(page, row: str) -> str:
    """The text of a row of the measures panel (its value cell has the class ``scamsim-<row>``)."""
    return page.locator(f".scamsim-{row}").inner_text()


def slider_value(page, label: str) -> float:
    """The value a sidebar slider shows (its thumb's ``aria-valuenow``)."""
    return float(page.get_by_role("slider", name=label, exact=True).get_attribute("aria-valuenow"))


@pytest.mark.parametrize("server", ["case_by_case.toml"], indirect=True)
def test_reset_untouched_keeps_the_files_raid_frequency(server, browser_page):
    """case_by_case.toml raids at 300 a year: Reset without touching anything must run at 300."""
    url, log = server
    page = browser_page
    open_page(page, url)
    assert "300 per agency-year" in measure(page, "raids-seed")
    assert slider_value(page, RAID_LABEL) == 300.0
    step(page)
    page.get_by_role("button", name="Reset").click()
    wait_until(lambda: week(page) == 0, 30, "Reset to bring the week back to 0")
    time.sleep(1.0)
    assert "300 per agency-year" in measure(page, "raids-seed"), measure(page, "raids-seed")
    assert slider_value(page, RAID_LABEL) == 300.0
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("server", ["case_by_case.toml"], indirect=True)
def test_picking_a_scenario_loads_its_values(server, browser_page):
    """Picking mekong.toml in the menu shows its values (raids 48 a year, policy from week 88) and runs them."""
    url, log = server
    page = browser_page
    open_page(page, url)
    page.locator(".v-select").filter(has_text="Scenario").click()
    page.get_by_role("option", name="mekong.toml", exact=True).click()
    wait_until(lambda: "from week 88" in measure(page, "policy"), 60, "mekong.toml to open")
    assert "48 per agency-year" in measure(page, "raids-seed")
    wait_until(lambda: slider_value(page, RAID_LABEL) == 48.0, 10, "the raid slider to show mekong.toml's 48")
    step(page)
    page.get_by_role("button", name="Reset").click()
    wait_until(lambda: week(page) == 0, 30, "Reset to bring the week back to 0")
    time.sleep(1.0)
    assert "48 per agency-year" in measure(page, "raids-seed") and "from week 88" in measure(page, "policy")
    assert slider_value(page, RAID_LABEL) == 48.0
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("server", ["case_by_case.toml"], indirect=True)
def test_compared_policy_and_inspect_panel_in_the_browser(server, browser_page):
    """A compared policy reaches the measures after Reset, and the Inspect panel shows a picked jurisdiction as it steps."""
    url, log = server
    page = browser_page
    open_page(page, url)
    page.locator(".v-select").filter(has_text="Compare with policy").click()
    page.get_by_role("option", name="hotspot", exact=True).click()
    page.get_by_role("button", name="Reset").click()
    wait_until(lambda: page.locator(".scamsim-compared-policy").count() == 1, 30, "the compared policy's rows")
    assert "hotspot" in measure(page, "compared-policy")
    page.locator(".v-select").filter(has_text="Inspect").click()
    page.get_by_role("option", name="Laos", exact=True).click()
    wait_until(lambda: "Laos" in page.locator(".scamsim-inspect").inner_text(), 10, "Laos in the Inspect panel")
    step(page)
    text = page.locator(".scamsim-inspect").inner_text()
    assert "Laos" in text and "perceived raid risk" in text and "governance" in text
    assert "Traceback" not in log.read_text()


def docs_screenshot(page, shot: Path, weeks: int = 120) -> None:
    """docs/img/app.png at 1366x768: case-by-case raids against the no-policy run, played to about ``weeks``."""
    page.set_viewport_size({"width": 1366, "height": 768})
    page.locator(".v-select").filter(has_text="Policy type").click()
    page.get_by_role("option", name="case_by_case", exact=True).click()
    page.get_by_text("Compare with the no-policy run").click()  # vuetify's ripple hides the input itself
    page.get_by_role("button", name="Reset").click()
    wait_until(lambda: "case_by_case, from week" in page.locator(".scamsim-policy").inner_text(), 30, "case_by_case")
    page.get_by_role("button", name="▶").click()
    wait_until(lambda: week(page) >= weeks, 120, f"week {weeks}")
    page.get_by_role("button", name="❚❚").click()
    time.sleep(1.0)
    page.screenshot(path=str(shot))
    target = REPO / "docs" / "img" / "app.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, target)


def test_page_reads_at_1366x768(server, browser_page):
    """A laptop screen: a real title, no footer over the charts, slider values written out, export buttons."""
    from sim.viz.app import TITLE

    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, server[0])
    assert page.title() == TITLE
    footers = page.locator("footer, .v-footer")
    assert all(not footers.nth(i).is_visible() for i in range(footers.count())), "a footer covers the page"
    shown = page.locator(".scamsim-value-raid_frequency").inner_text().strip()
    opened = load_scenario(scenarios.resolve_scenario("baseline.toml")).params.policy.raid_frequency
    assert float(shown.replace(",", "")) == opened, (shown, opened)  # the value the slider holds, written out
    for label in ("Map (PNG)", "Charts (PNG)", "Table (CSV)"):
        assert page.get_by_text(label).count() >= 1, label
    with page.expect_download() as download:
        page.get_by_text("Table (CSV)").click()
    path = download.value.path()
    assert Path(path).read_text(encoding="utf-8").startswith("week,")


def test_scamsim_viz_serves_the_app(tmp_path):
    """``scamsim viz --port 0`` prints the address and serves the page there (no browser needed)."""
    log = tmp_path / "viz.log"
    code = ("import argparse, sys; from sim.cli import app as appcli; p = argparse.ArgumentParser(prog='scamsim'); "
            "appcli.register(p.add_subparsers()); a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))")
    proc = serve([sys.executable, "-c", code, "viz", "scenarios/baseline.toml", "--port", "0"], log)
    try:
        wait_until(lambda: "open http://" in log.read_text() or proc.poll() is not None, 60, "the address")
        line = next(x for x in log.read_text().splitlines() if "open http://" in x)
        address = line.split("open ", 1)[1].split()[0]
        wait_for_http(address, proc, log, SERVER_START_S)
        with urllib.request.urlopen(address, timeout=10) as response:
            assert "solara" in response.read().decode().lower()
    finally:
        stop(proc)
