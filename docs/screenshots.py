"""Screenshots of two reports for the README (headless Chromium, as the browser test uses).

    python docs/screenshots.py     # writes docs/img/report_market_policy.png and
                                   #        docs/img/report_reserve_price_study.png

Each report is built from a small run of the bundled scenario (the sizes below), opened at
1280 px wide, and cut to the top of the page: the header and the key figures.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = {
    "market_policy": ["--set", "market.horizon_days=730", "--reps", "2"],
    "reserve_price_study": ["--set", "auction.auctions=20000", "--reps", "3"],
}
HEIGHT = 1500  # pixels of the page kept (header + key figures)


def main() -> int:
    from matplotlib.image import imread, imsave
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        print("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
        return 2
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for f in ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              "--disable-background-networking", "--window-size=1280,1600"):  # fmt: skip
        opts.add_argument(f)
    with tempfile.TemporaryDirectory() as tmp:
        opts.add_argument(f"--user-data-dir={tmp}/profile")
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
        try:
            for name, sets in RUNS.items():
                out = Path(tmp) / name
                cmd = [sys.executable, "-m", "auction_sim", "run", f"scenarios/{name}.toml"]
                subprocess.run([*cmd, *sets, "--out", str(out), "--no-progress"], cwd=ROOT,
                               check=True, capture_output=True)  # fmt: skip
                subprocess.run([sys.executable, "-m", "auction_sim", "report", str(out)],
                               cwd=ROOT, check=True, capture_output=True)  # fmt: skip
                driver.set_window_size(1280, HEIGHT)
                driver.get((out / "report.html").as_uri())
                img = imread(io.BytesIO(driver.get_screenshot_as_png()), format="png")
                target = ROOT / "docs" / "img" / f"report_{name}.png"
                imsave(target, img[:HEIGHT])
                print(f"wrote {target.relative_to(ROOT)}")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
