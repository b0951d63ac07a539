"""Where the time of `make test` goes: seconds per test module, from a JUnit report of one run of the suite.

    python -m benchmarks.bench_test_suite [JUNIT_XML] [--label TEXT] [--label-zh TEXT]

`make test` writes test-artifacts/junit.xml (the default path). The per-module table, the slowest modules first,
goes to benchmarks/results/test-suite.json, which the contributor guide renders; it names the machine the run
was read on, so a run on a clean clone after `make test` records what a contributor waits for. Nothing here is
asserted in a test: time is measured, and it depends on the machine and its load.
"""

import argparse
import datetime
import json
import os
import platform
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

from benchmarks import RESULTS, ROOT

DEFAULT_JUNIT = ROOT / "test-artifacts" / "junit.xml"
OUT = RESULTS / "test-suite.json"
SHOWN = 12  # modules listed by name; the rest are summed in one row


def module_of(classname: str) -> str:
    """`tests.recipes.test_gptq.TestX` or `tests.recipes.test_gptq` -> tests/recipes/test_gptq.py."""
    parts = classname.split(".")
    while parts and not parts[-1].startswith("test_"):
        parts.pop()
    return "/".join(parts) + ".py" if parts else classname


def per_module(junit: Path) -> tuple[dict, float]:
    suite = ElementTree.parse(junit).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    seconds, counts = defaultdict(float), defaultdict(int)
    for case in suite.iter("testcase"):
        name = module_of(case.get("classname", ""))
        seconds[name] += float(case.get("time", 0))
        counts[name] += 1
    return {name: (seconds[name], counts[name]) for name in seconds}, float(suite.get("time", 0))


def report(junit: Path, label: str, label_zh: str) -> dict:
    modules, wall = per_module(junit)
    ranked = sorted(modules.items(), key=lambda item: -item[1][0])
    summed = sum(s for s, _ in modules.values())
    rows = [{"module": name, "tests": n, "seconds": round(s, 1), "share": f"{s / summed:.0%}"}
            for name, (s, n) in ranked[:SHOWN]]
    rest = ranked[SHOWN:]
    if rest:
        rest_seconds = sum(s for _, (s, _) in rest)
        rows.append({"module": f"the other {len(rest)} modules", "module_zh": f"其餘 {len(rest)} 個模組",
                     "tests": sum(n for _, (_, n) in rest), "seconds": round(rest_seconds, 1),
                     "share": f"{rest_seconds / summed:.0%}"})
    return {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1min_when_read": round(os.getloadavg()[0], 2), "run": label, "run_zh": label_zh,
                    "date": datetime.date.today().isoformat()},
        "pytest_seconds": round(wall, 1),
        "tests": sum(n for _, n in modules.values()),
        "modules": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("junit", nargs="?", type=Path, default=DEFAULT_JUNIT)
    parser.add_argument("--label", default="make test", help="how the run was made, e.g. 'clean clone, make test'")
    parser.add_argument("--label-zh", default="make test", help="the same in 繁體中文, for the zh-TW page")
    args = parser.parse_args()
    result = report(args.junit, args.label, args.label_zh)
    OUT.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{result['tests']} tests, pytest {result['pytest_seconds'] / 60:.1f} min on {result['machine']['cpus']} "
          f"CPUs ({result['machine']['platform']})")
    for row in result["modules"]:
        print(f"{row['seconds']:>8.1f} s {row['share']:>4} {row['tests']:>5} tests  {row['module']}")


if __name__ == "__main__":
    main()
