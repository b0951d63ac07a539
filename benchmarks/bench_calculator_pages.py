"""Time the in-browser calculators in headless Chromium, as a reader meets them.

For each calculator page (English) it measures, on a fresh browser profile (cold cache):
- first interactive result: from navigation start to the first result computed by Python in the page's worker;
- recalculation: from an input change to the updated result in the page (median of several changes);
- bytes transferred: everything the page loaded, and the same without Pyodide (runtime, standard library, wheel),
  as served here (uncompressed) and gzip-compressed (what a host that compresses, such as GitHub Pages, sends).

It builds the site first unless --site points at a built one, serves it on 127.0.0.1, and writes
benchmarks/results/calculator-pages.json with the machine named. Targets (issue 4): first result <= 3 s cold,
recalculation <= 50 ms, page without Pyodide <= 300 KB.

    .venv/bin/python benchmarks/bench_calculator_pages.py [--site site] [--changes 10]
"""

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.website.browser import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from tests.website.conftest import serve, site_handler  # noqa: E402

PAGES = {
    "calculators/parameters/": None,
    "calculators/kv-cache/": "seq-len",
    "calculators/gpu-planner/": "seq-len",
    "calculators/training-memory/": "seq-len",
}
PYODIDE_PATHS = ("/assets/vendor/pyodide/", "/assets/calculators/")


def measure(browser, base: str, path: str, field: str | None, changes: int) -> dict:
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(base + path)
    page.wait_for_function("() => Number(document.querySelector('.calc').dataset.updates || 0) >= 1", timeout=120_000)
    first_ms = float(page.locator(".calc").get_attribute("data-first-result-ms"))  # since navigation start
    recalc = []
    if field:
        for i in range(changes):
            before = int(page.locator(".calc").get_attribute("data-updates"))
            page.locator(f'[name="{field}"]').fill(str(4096 + 1024 * i))
            page.wait_for_function(f"() => Number(document.querySelector('.calc').dataset.updates) > {before}")
            recalc.append(float(page.locator(".calc").get_attribute("data-last-recalc-ms")))
    sizes = []  # (url, bytes as served, bytes gzip-compressed)
    for request in responses:
        body = request.response().body() if request.response() else b""
        sizes.append((request.url, len(body), len(gzip.compress(body, compresslevel=6))))
    context.close()

    def total(column: int, pyodide: bool) -> int:
        return sum(row[column] for row in sizes if pyodide or not any(p in row[0] for p in PYODIDE_PATHS))

    return {
        "page": path,
        "first_result_ms": round(first_ms, 1),
        "recalculation_ms_median": round(statistics.median(recalc), 1) if recalc else None,
        "recalculation_ms_max": round(max(recalc), 1) if recalc else None,
        "bytes_total": total(1, True),
        "bytes_without_pyodide": total(1, False),
        "gzip_bytes_total": total(2, True),
        "gzip_bytes_without_pyodide": total(2, False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one into a temporary folder)")
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    site = args.site
    if site is None:
        site = Path(tempfile.mkdtemp()) / "site"
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "--site-dir", str(site)], cwd=ROOT, env=env,
                       check=True)
    server, url = serve(site, site_handler("https://huggingface.co"))
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for path, field in PAGES.items():
            rows.append(measure(browser, url + "/", path, field, args.changes))
        browser.close()
    server.shutdown()
    machine = {
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(), "python": platform.python_version(), "browser": CHROMIUM,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    out = ROOT / "benchmarks" / "results" / "calculator-pages.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "pages": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {machine['platform']}, {machine['cpus']} CPUs, Chromium headless")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f}")
    print(f"{'page':30} {'first result':>12} {'recalc':>9} {'KB all':>7} {'KB no Pyodide':>14} {'(gzip)':>7}")
    for row in rows:
        recalc = "-" if row["recalculation_ms_median"] is None else f"{row['recalculation_ms_median']:.0f} ms"
        print(f"{row['page']:30} {row['first_result_ms'] / 1000:>10.2f} s {recalc:>9} "
              f"{row['bytes_total'] / 1000:>7.0f} {row['bytes_without_pyodide'] / 1000:>14.0f} "
              f"{row['gzip_bytes_without_pyodide'] / 1000:>7.0f}")


if __name__ == "__main__":
    main()
