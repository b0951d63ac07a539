"""Time the in-browser calculators in headless Chromium, as a reader meets them.

For each calculator page (English) it measures, on a fresh browser profile each time (cold cache):
- first interactive result: from navigation start to the first result computed by Python in the page's worker;
- recalculation: from an input change to the updated result in the page (median and maximum of several changes);
- bytes: everything the page loaded, and the same without Pyodide (runtime, standard library, snapshot, wheel),
  both as transferred (the server compresses text with gzip, as GitHub Pages does) and as decoded.

Each page is loaded --runs times; the figures are the medians. It builds the site first unless --site points at a
built one, serves it on 127.0.0.1 under the site's Content-Security-Policy, and writes
benchmarks/results/calculator-pages.json with the machine named. Targets (issue 4): first result <= 3 s cold,
recalculation <= 50 ms, page without Pyodide <= 300 KB.

    .venv/bin/python -m benchmarks.bench_calculator_pages [--site site] [--runs 3] [--changes 10]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from benchmarks import RESULTS, ROOT
from benchmarks.site_host import CHROMIUM, CHROMIUM_FLAGS, serve, site_handler

PAGES = {
    "calculators/parameters/": "model",
    "calculators/kv-cache/": "seq-len",
    "calculators/gpu-planner/": "seq-len",
    "calculators/training-memory/": "seq-len",
}
NEW_VALUES = {  # field -> the values typed in turn
    "model": ["Qwen/Qwen3-8B", "meta-llama/Llama-3.2-1B", "mistralai/Mixtral-8x7B-v0.1", "Qwen/Qwen3-30B-A3B"],
    "seq-len": [str(4096 + 1024 * i) for i in range(16)],
}
PYODIDE_PATHS = ("/assets/vendor/pyodide/", "/assets/calculators/")


def measure(browser, site: Path, base: str, path: str, field: str, changes: int) -> dict:
    context = browser.new_context()
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(base + path)
    page.wait_for_function("() => Number(document.querySelector('.calc').dataset.updates || 0) >= 1", timeout=120_000)
    calc = page.locator(".calc")
    first_ms = float(calc.get_attribute("data-first-result-ms"))  # since navigation start
    runtime = calc.get_attribute("data-runtime")
    recalc = []
    for value in (NEW_VALUES[field] * changes)[:changes]:
        before = int(calc.get_attribute("data-updates"))
        page.locator(f'[name="{field}"]').fill(value)
        page.wait_for_function(f"() => Number(document.querySelector('.calc').dataset.updates) > {before}")
        recalc.append(float(calc.get_attribute("data-last-recalc-ms")))
    rows = []  # (url, bytes transferred, bytes decoded = the file's size)
    for request in finished:
        file = site / urlsplit(request.url).path.lstrip("/")
        file = file / "index.html" if file.is_dir() else file
        rows.append((request.url, request.sizes()["responseBodySize"], file.stat().st_size if file.is_file() else 0))
    context.close()

    def total(column: int, pyodide: bool) -> int:
        return sum(row[column] for row in rows if pyodide or not any(p in row[0] for p in PYODIDE_PATHS))

    return {
        "first_result_ms": first_ms, "runtime": runtime,
        "recalculation_ms_median": statistics.median(recalc), "recalculation_ms_max": max(recalc),
        "bytes_transferred_total": total(1, True), "bytes_transferred_without_pyodide": total(1, False),
        "bytes_decoded_total": total(2, True), "bytes_decoded_without_pyodide": total(2, False),
    }


def median_of(runs: list[dict]) -> dict:
    row = {}
    for key, value in runs[0].items():
        if isinstance(value, str):
            row[key] = value if all(run[key] == value for run in runs) else "mixed"
        else:
            row[key] = round(statistics.median(run[key] for run in runs), 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one into a temporary folder)")
    parser.add_argument("--runs", type=int, default=3, help="cold loads per page (medians are reported)")
    parser.add_argument("--changes", type=int, default=10, help="input changes timed per load")
    args = parser.parse_args()
    site = args.site
    if site is None:
        site = Path(tempfile.mkdtemp()) / "site"
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "--site-dir", str(site)], cwd=ROOT, env=env,
                       check=True)
    server, url = serve(site, site_handler(compress=True))
    rows = []
    load = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for path, field in PAGES.items():
            runs = []
            for _ in range(args.runs):
                time.sleep(3)  # let the previous load's browser processes finish: one reader, one page at a time
                load.append(os.getloadavg()[0])
                runs.append(measure(browser, site, url + "/", path, field, args.changes))
            rows.append({"page": path, "runs": args.runs, **median_of(runs)})
        browser.close()
    server.shutdown()
    machine = {
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(), "python": platform.python_version(), "browser": CHROMIUM,
        "load_average_1min_max": round(max(load), 2),
    }
    out = RESULTS / "calculator-pages.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "pages": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {machine['platform']}, {machine['cpus']} CPUs, Chromium headless, "
          f"load average up to {machine['load_average_1min_max']}")
    print(f"{'page':30} {'first result':>12} {'recalc':>8} {'KB sent':>8} {'KB sent w/o Pyodide':>20} "
          f"{'(decoded)':>9}")
    for row in rows:
        print(f"{row['page']:30} {row['first_result_ms'] / 1000:>10.2f} s {row['recalculation_ms_median']:>5.0f} ms "
              f"{row['bytes_transferred_total'] / 1000:>8.0f} {row['bytes_transferred_without_pyodide'] / 1000:>20.0f} "
              f"{row['bytes_decoded_without_pyodide'] / 1000:>9.0f}")


if __name__ == "__main__":
    main()
