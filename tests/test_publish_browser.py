"""The site in a real headless browser: Debian's chromium driven by Playwright.

Starts ``inspect-kit serve`` on a free port and walks the path a newcomer
takes: home page, search for a home, its row, its ownership graph, a landlord,
the map, and a regulator signing in. Screenshots go to tests/screenshots/.
Never downloads a browser: without /usr/bin/chromium these tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import sys
from urllib.parse import quote
from pathlib import Path

import pytest

from helpers import serving
from publish_registry import HOME, LANDLORD, LANDLORD_NAME, build_registry

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
TOKEN = "fictional-browser-token"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

playwright_sync = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    path = build_registry(folder / "registry.db")
    command = [Path(sys.executable).parent / "inspect-kit", "serve", path, "--port", "{port}"]
    env = {**os.environ, "INSPECT_KIT_REGULATOR_TOKEN": TOKEN, "INSPECT_KIT_SECRET": "browser-test"}
    with serving(command, env, folder / "serve.log", wait=30) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # any alert() would mean a name was run as script

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.policy_violations = []  # the site's own pages must not trip its Content-Security-Policy
    page.on("console", lambda m: "Content Security Policy" in m.text and page.policy_violations.append(m.text))
    yield page
    assert page.dialogs == []
    assert page.policy_violations == []
    context.close()


def shot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_home_page(site, page):
    page.goto(site + "/")
    assert "who runs and owns England" in page.locator("h1").inner_text()
    assert page.get_by_text("ownership graph").count() >= 1
    shot(page, "home")


def test_newcomer_finds_a_home_and_its_owners(site, page):
    page.goto(site + "/registry/care_homes")
    page.fill("input[name=_search]", "Meadow")
    page.press("input[name=_search]", "Enter")
    page.wait_for_load_state()
    table = page.locator("table.rows-and-columns")
    assert "Meadow View Care Home" in table.inner_text()
    assert "Hilltop Lodge" not in table.inner_text()
    shot(page, "search")

    page.locator("td.col-location_id a").first.click()  # the key links to the row page
    page.wait_for_load_state()
    assert "Sunrise Care Operations Ltd" in page.content()
    shot(page, "care_home_row")

    page.get_by_role("link", name="ownership graph").first.click()
    page.wait_for_load_state()
    graph = page.locator("svg.ownership-graph")
    assert graph.is_visible()
    assert page.locator(f'svg.ownership-graph g[data-id="home:{HOME}"]').count() == 1
    assert page.locator("svg.ownership-graph g.flagged").count() >= 3
    assert "offshore_landlord" in page.locator("#flags + div").inner_text()
    shot(page, "ownership_graph")

    page.locator(f'svg.ownership-graph g[data-id="entity:{LANDLORD}"]').click()
    page.wait_for_load_state()
    assert page.locator("td.col-name").first.inner_text() == LANDLORD_NAME  # shown as text
    shot(page, "landlord_row")


def test_map_of_flagged_homes(site, page):
    page.goto(site + "/registry/care_homes?_flag=any")
    page.wait_for_selector(".leaflet-container", timeout=15000)
    page.wait_for_selector(".leaflet-marker-icon", timeout=15000)
    assert page.locator(".leaflet-marker-icon").count() == 1  # only the flagged home
    shot(page, "map")


def test_regulator_signs_in_to_see_the_schedule(site, page):
    response = page.goto(site + "/private/inspection_schedule")
    assert response.status == 403
    page.goto(site + "/-/regulator-sign-in")
    page.fill("input[name=token]", TOKEN)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    response = page.goto(site + "/private/inspection_schedule")
    assert response.status == 200
    assert "offshore landlord; secret visit" in page.content()
    shot(page, "regulator_schedule")


def test_front_page_search_reaches_the_graph_in_two_clicks(site, page):
    page.goto(site + "/")
    page.fill("#ik-find-home", "Meadow")
    page.press("#ik-find-home", "Enter")  # 1: the search
    page.wait_for_load_state()
    assert "Meadow View Care Home" in page.locator("table.rows-and-columns").inner_text()
    page.locator("td.col-name a.ik-graph-link").first.click()  # 2: the graph
    page.wait_for_load_state()
    assert page.locator("svg.ownership-graph").is_visible()
    assert "The landlord is registered in Jersey." in page.locator("#flags + div").inner_text()
    assert "Alex Example" in page.locator("h2:has-text('Ownership paths') + table").inner_text()
    shot(page, "front_page_search_graph")


POPUP_SQL = (
    "select location_id, latitude, longitude, json_object('title', 'Open me', 'link', {link}) as popup "
    "from care_homes where location_id = '{home}'"
)


def sign_in_as_regulator(page, site):
    page.goto(site + "/-/regulator-sign-in")
    page.fill("input[name=token]", TOKEN)
    page.click("input[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("link", [
    "'javascript:window.pwned=1;alert(document.cookie)'",
    "'  JavaScript:window.pwned=1'",
    "'data:text/html,<script>alert(1)</script>'",
])
def test_a_crafted_map_popup_runs_no_script(site, page, link):
    """Public SQL shapes a popup link; a signed-in regulator who clicks it runs nothing."""
    sign_in_as_regulator(page, site)
    assert "ds_actor" not in page.evaluate("document.cookie")  # HttpOnly: no script can read it
    page.goto(site + "/registry?sql=" + quote(POPUP_SQL.format(link=link, home=HOME)))
    page.wait_for_selector(".leaflet-marker-icon", timeout=15000)
    page.locator(".leaflet-marker-icon").first.click()
    anchor = page.locator(".leaflet-popup-content a").first
    anchor.wait_for(timeout=15000)
    assert "Open me" in page.locator(".leaflet-popup-content").inner_text()
    assert anchor.get_attribute("href") is None  # the link was never live
    anchor.click()
    page.wait_for_load_state()
    assert page.evaluate("window.pwned") is None
    shot(page, "crafted_popup")


def test_the_policy_stops_a_javascript_url_that_got_through(site, page):
    """Behind the link sweeper, the Content-Security-Policy refuses javascript: URLs itself."""
    page.goto(site + "/registry/care_homes")
    directive = page.evaluate("""() => new Promise(resolve => {
        document.addEventListener("securitypolicyviolation", e => resolve(e.effectiveDirective));
        location.href = "javascript:window.pwned=1";
        setTimeout(() => resolve(null), 5000);
    })""")
    assert directive and directive.startswith("script-src")
    assert page.evaluate("window.pwned") is None
    page.policy_violations.clear()  # this one was provoked on purpose
