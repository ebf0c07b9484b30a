"""The report page in a real headless Chromium: no console errors, a non-blank screenshot.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them)
and selenium (the ``test`` extra).  Skipped only where Chromium is not installed.
"""

import io
import shutil
import time

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium not installed (apt-get install chromium chromium-driver)",
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,2000",
]


@pytest.fixture
def browser(tmp_path_factory):
    """A fresh browser per test: Chromium delivers console entries asynchronously, so one
    shared across tests once blamed a page for an error an earlier page logged late."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (test extra) missing")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _errors(driver, settle: float = 1.0, until=None):
    """Console errors of the loaded page, collected for ``settle`` seconds
    after the page is complete (or until ``until(entries)`` holds, up to 10 s)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    got: list[dict] = []
    end = time.monotonic() + (10.0 if until is not None else settle)
    while True:
        got += [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        if (until is not None and until(got)) or time.monotonic() >= end:
            return got
        time.sleep(0.1)


def test_console_check_catches_errors(browser, tmp_path):
    """The check below is real: a page that logs an error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom')</script>")
    browser.get(bad.as_uri())
    errs = _errors(browser, until=lambda es: any("boom" in e["message"] for e in es))
    assert any("boom" in e["message"] for e in errs)


def test_report_loads_without_console_errors_and_renders(browser, report_page, run_dir):
    from matplotlib.image import imread

    browser.get(report_page.as_uri())
    assert "revenue_equivalence" in browser.title
    assert _errors(browser) == []
    # Every embedded figure decoded.
    n, ok = browser.execute_script(
        "const im = Array.from(document.images);"
        "return [im.length, im.filter(i => i.complete && i.naturalWidth > 0).length];"
    )
    assert n == len(list((run_dir / "figures").glob("*.png"))) >= 10 and ok == n
    png = browser.get_screenshot_as_png()
    img = imread(io.BytesIO(png), format="png")[..., :3]
    assert img.shape[0] > 100 and img.shape[1] > 100
    non_white = np.mean(np.any(img < 0.95, axis=-1))
    assert non_white > 0.02, f"screenshot is nearly blank ({non_white:.1%} non-white pixels)"
    assert img.std() > 0.05


KEY_FIRST = {
    "market_policy.toml": (
        ["--set", "market.horizon_days=60", "--reps", "2"],
        ["deal_rate", "days_to_deal", "price_to_value", "efficiency", "method_shares"],
    ),
    "reserve_price_study.toml": (
        ["--set", "auction.auctions=1000", "--reps", "2", "--set", "auction.bidders=2"],
        ["revenue", "efficiency", "sale_rate", "bidder_surplus", "price_to_value"],
    ),
}


@pytest.mark.parametrize("name", list(KEY_FIRST))
def test_report_leads_with_key_figures_in_the_browser(browser, tmp_path, name):
    """The page a designer opens: the first section is Key figures, its first images the
    kind's key metrics (the rest under All metrics), and it fits a laptop-wide window."""
    from auction_sim.cli import main

    sets, key = KEY_FIRST[name]
    out = tmp_path / "out"
    args = ["run", f"scenarios/{name}", *sets, "--backend", "serial", "--no-progress"]
    assert main([*args, "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    browser.get((out / "report.html").as_uri())
    assert _errors(browser) == []
    first_h2, alts, overflow = browser.execute_script(
        "const h = document.querySelector('h2').textContent;"
        "const a = Array.from(document.images).map(i => i.alt);"
        "return [h, a, document.documentElement.scrollWidth > window.innerWidth];"
    )
    assert first_h2 == "Key figures"
    firsts = [a.split(" vs ")[0] for a in alts[: len(key)]]
    assert firsts == key
    assert not overflow, "the page scrolls sideways"
