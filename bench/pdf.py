"""Headless Chromium beside WeasyPrint: the same invoice HTML printed to PDF by Chromium, timed two ways:
a new ``/usr/bin/chromium --headless --print-to-pdf`` process per document, and a warm browser kept open
(Playwright ``page.pdf``). bench/run.py measures WeasyPrint through the app and calls ``chromium``."""
from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

from pypdf import PdfReader

CHROMIUM = "/usr/bin/chromium"


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def chromium(html: str, stylesheet: Path, tmp: str, runs: int) -> tuple[float, float, int] | None:
    """(new process ms, warm ms, pages) for the HTML with ``stylesheet`` linked in; None without Chromium."""
    if not os.path.exists(CHROMIUM):
        return None
    from playwright.sync_api import sync_playwright

    html = html.replace("<head>", f'<head><link rel="stylesheet" href="{stylesheet.resolve().as_uri()}">', 1)
    source = Path(tmp) / f"chromium-{time.time_ns()}.html"
    source.write_text(html)
    out = source.with_suffix(".pdf")

    def cold_run():
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                        f"--print-to-pdf={out}", source.as_uri()], check=True, capture_output=True, timeout=120)

    cold = median_ms(cold_run, runs)
    pages = len(PdfReader(str(out)).pages)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()

        def warm_run():
            page.goto(source.as_uri())
            page.pdf(format="A4", prefer_css_page_size=True)

        warm = median_ms(warm_run, runs)
        browser.close()
    return cold, warm, pages
