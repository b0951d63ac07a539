"""The calculator pages in headless Chromium: the worker's results are the CLI's JSON, inputs update them, bad
input is reported next to its field without losing the page, and nothing pasted is ever rendered as HTML."""

import json
import shlex
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from benchmarks.site_host import CHROMIUM, CHROMIUM_FLAGS

from .browser import watch
from .conftest import ARTIFACTS, HUB_MODEL_CONFIG, HUB_MODEL_ID, LANGUAGES

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by `make test`")

# page path -> (URL query named like the CLI flags, the input changed next and its new value)
PAGES = {
    "calculators/parameters/": ({"model": "Qwen/Qwen3-30B-A3B"}, "model", "mistralai/Mixtral-8x7B-v0.1"),
    "calculators/kv-cache/": ({"model": "Qwen/Qwen3-8B", "seq-len": "32768", "batch": "4", "kv-dtype": "fp8"},
                              "seq-len", "65536"),
    "calculators/gpu-planner/": ({"model": "meta-llama/Llama-3.1-70B", "weights": "awq-int4", "seq-len": "8192",
                                  "batch": "8", "kv-dtype": "bf16", "gpu": "h100-sxm", "count": "2"},
                                 "batch", "16"),
    "calculators/training-memory/": ({"model": "meta-llama/Llama-3.2-3B", "method": "lora", "gpu": "l4"},
                                     "lora-rank", "64"),
}
UNKNOWN_CONFIG = {  # no preset has these shapes
    "model_type": "llama", "hidden_size": 640, "intermediate_size": 1792, "num_hidden_layers": 5,
    "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 5000, "max_position_embeddings": 4096,
}


def cli_json(argv: list[str], cwd=None) -> dict:
    """What `python -m calculators ... --json` prints, run as a separate process."""
    out = subprocess.run([sys.executable, "-m", "calculators", *argv, "--json"], capture_output=True, text=True,
                         check=True, cwd=cwd)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def context(browser):
    """One browser profile for the module, so Pyodide's files come from the HTTP cache after the first page."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    yield context
    context.close()


@pytest.fixture
def page(context, site_url, hub):
    page = context.new_page()
    page.log = watch(page, site_url, also_allowed=(hub,))
    yield page
    page.close()


def updates(page) -> int:
    return int(page.locator(".calc").get_attribute("data-updates") or 0)


def wait_for_update(page, after: int) -> None:
    page.wait_for_function(f"() => Number(document.querySelector('.calc').dataset.updates || 0) > {after}",
                           timeout=60_000)


def shown(page) -> tuple[dict, list[str]]:
    result = page.locator("#calc-result")
    return json.loads(result.get_attribute("data-result-json")), json.loads(result.get_attribute("data-argv"))


def shown_command_line(page) -> list[str]:
    """The words of the command line the page shows, without `python -m calculators` and `--json`."""
    words = shlex.split(page.locator(".calc-command code").inner_text())
    assert words[:3] == ["python", "-m", "calculators"] and words[-1] == "--json"
    return words[3:-1]


def set_value(page, selector: str, value: str) -> None:
    page.locator(selector).fill(value)


@pytest.mark.parametrize("prefix", LANGUAGES.values(), ids=LANGUAGES.keys())
@pytest.mark.parametrize("path", PAGES)
def test_calculator_page(page, site_url, tmp_path, path, prefix):
    query, changed_field, new_value = PAGES[path]
    page.goto(f"{site_url}{prefix}{path}?{urlencode(query)}")
    wait_for_update(page, 0)
    assert page.locator(".calc").get_attribute("data-state") == "ready"
    assert page.locator(".calc").get_attribute("data-runtime") == "snapshot"  # the build's Pyodide snapshot

    # The worker's result for the URL's state is the CLI's JSON for the same flags.
    result, argv = shown(page)
    for name, value in query.items():
        assert (argv[1] if name == "model" else argv[argv.index(f"--{name}") + 1]) == value
    assert result == cli_json(argv)

    # Changing an input recalculates.
    before = updates(page)
    set_value(page, f'[name="{changed_field}"]', new_value)
    wait_for_update(page, before)
    changed, argv = shown(page)
    assert changed != result and changed == cli_json(argv)
    assert shown_command_line(page) == argv

    # A pasted config the presets do not have: the CLI run on a file of that name holding it.
    (tmp_path / "config.json").write_text(json.dumps(UNKNOWN_CONFIG))
    before = updates(page)
    set_value(page, "#config-json", json.dumps(UNKNOWN_CONFIG))
    wait_for_update(page, before)
    pasted, argv = shown(page)
    assert argv[1] == "config.json" and pasted == cli_json(argv, cwd=tmp_path)
    assert shown_command_line(page) == argv

    # Invalid JSON, then a config without a required field: the engine's message next to the field, the last good
    # result kept but marked stale, and the page still calculating afterwards.
    for text, field in (("{not json", "config-json"), ('{"model_type": "llama"}', "config.hidden_size")):
        before = updates(page)
        set_value(page, "#config-json", text)
        wait_for_update(page, before)
        message = page.locator('.calc-field-error[data-for="config-json"]').inner_text()
        assert message.startswith(field)
        assert page.locator(".calc-error").is_visible() and page.locator(".calc-error").inner_text() == message
        assert "calc-stale" in page.locator("#calc-result").get_attribute("class")
        assert shown(page)[0] == pasted
    before = updates(page)
    set_value(page, "#config-json", "")
    wait_for_update(page, before)
    assert shown(page)[0] == changed and page.locator(".calc-error").is_hidden()

    ARTIFACTS.mkdir(exist_ok=True)
    name = path.strip("/").replace("/", "-") + "-" + (prefix.strip("/") or "en")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page.log.console_errors == []
    assert page.log.foreign_requests == []


def test_markup_in_a_pasted_config_is_shown_as_text(page, site_url):
    page.goto(site_url + "calculators/parameters/")
    wait_for_update(page, 0)
    hostile = dict(UNKNOWN_CONFIG, model_type='<img src=x onerror="document.title=1">')
    before = updates(page)
    set_value(page, "#config-json", json.dumps(hostile))
    wait_for_update(page, before)
    assert page.locator("#calc-result img").count() == 0
    assert '<img src=x onerror="document.title=1">' in page.locator("#calc-result").inner_text()
    assert page.title() != "1"
    assert page.log.console_errors == []


def test_fetching_a_config_from_the_hub(page, site_url, tmp_path):
    page.goto(site_url + "calculators/kv-cache/?seq-len=4096")
    wait_for_update(page, 0)
    before = updates(page)
    set_value(page, '[name="model"]', HUB_MODEL_ID)  # not a preset: an error until its config is fetched
    wait_for_update(page, before)
    before = updates(page)
    page.locator(".calc-fetch").click()
    wait_for_update(page, before)
    (tmp_path / "config.json").write_text(json.dumps(HUB_MODEL_CONFIG))
    result, argv = shown(page)
    assert json.loads(page.locator("#config-json").input_value()) == HUB_MODEL_CONFIG
    assert result == cli_json(argv, cwd=tmp_path)

    # A model the hub does not have: a clear message, and the calculator keeps working.
    before = updates(page)
    page.locator("#config-json").fill("")
    set_value(page, '[name="model"]', "example-org/does-not-exist")
    wait_for_update(page, before)
    page.locator(".calc-fetch").click()
    page.locator(".calc-error").wait_for(state="visible")
    assert "config.json" in page.locator(".calc-error").inner_text()
    before = updates(page)
    set_value(page, '[name="model"]', "Qwen/Qwen3-8B")
    wait_for_update(page, before)
    assert shown(page)[0] == cli_json(["kv", "Qwen/Qwen3-8B", "--seq-len", "4096", "--batch", "1",
                                       "--kv-dtype", "bf16", "--tp", "1"])
    # The failed fetch's 404 is the only console error the browser reports.
    assert all("404" in error for error in page.log.console_errors)


def test_without_the_snapshot_python_starts_the_ordinary_way(page, site_url):
    """A missing snapshot (or one that fails to load) costs time, not the calculator."""
    page.route("**/pyodide-snapshot-*", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(site_url + "calculators/kv-cache/?seq-len=4096&model=Qwen/Qwen3-8B")
    wait_for_update(page, 0)
    assert page.locator(".calc").get_attribute("data-runtime") == "fresh"
    result, argv = shown(page)
    assert result == cli_json(argv)
    assert all("404" in error for error in page.log.console_errors), page.log.console_errors


def test_gpu_options_follow_the_plan(page, site_url):
    """The planner's second table (`recommend`) is the CLI's for the plan's shared flags, after each change."""
    page.goto(site_url + "calculators/gpu-planner/?model=Qwen/Qwen3-8B&seq-len=4096")
    wait_for_update(page, 0)
    for batch in ("1", "64"):
        before = updates(page)
        set_value(page, '[name="batch"]', batch)
        wait_for_update(page, before)
        expected = cli_json(["recommend", "Qwen/Qwen3-8B", "--weights", "bf16", "--seq-len", "4096",
                             "--batch", batch, "--kv-dtype", "bf16", "--engine", "vllm"])
        expected_text = json.dumps(expected)
        page.wait_for_function(
            "expected => JSON.stringify(JSON.parse(document.querySelector('#calc-recommend').dataset.resultJson))"
            " === JSON.stringify(JSON.parse(expected))", arg=expected_text, timeout=30_000)
    assert page.log.console_errors == []


class _ResultAttribute(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id") == "calc-result":
            self.values = attributes


@pytest.mark.parametrize("prefix", LANGUAGES.values(), ids=LANGUAGES.keys())
@pytest.mark.parametrize("path", PAGES)
def test_first_paint_result_is_the_computed_one(site_dir, path, prefix):
    parser = _ResultAttribute()
    parser.feed((site_dir / prefix / path / "index.html").read_text(encoding="utf-8"))
    argv = json.loads(parser.values["data-argv"])
    assert json.loads(parser.values["data-result-json"]) == cli_json(argv)


@pytest.mark.parametrize("path", PAGES)
def test_the_script_runs_the_argv_the_build_ran_for_the_starting_form(page, site_url, site_dir, path):
    """One argv rule (calculators.options.page_argv): the page script's argv for the untouched form is the one the
    build computed the first paint for, and the command line shown is the same before and after."""
    parser = _ResultAttribute()
    parser.feed((site_dir / path / "index.html").read_text(encoding="utf-8"))
    built = json.loads(parser.values["data-argv"])
    page.goto(site_url + path)
    assert shown_command_line(page) == built
    wait_for_update(page, 0)
    assert shown(page)[1] == built and shown_command_line(page) == built
    assert page.log.console_errors == []


def test_link_values_the_lists_lack_are_kept_and_a_pasted_config_travels_in_the_link(page, site_url, tmp_path):
    # gpu=H100 and kv-dtype=e4m3 are aliases (the lists hold h100-sxm and fp8): both are kept, so the result is
    # the CLI's for the link's values, not a silent replacement
    page.goto(site_url + "calculators/gpu-planner/?model=Qwen/Qwen3-8B&seq-len=4096&gpu=H100&kv-dtype=e4m3")
    wait_for_update(page, 0)
    result, argv = shown(page)
    assert argv[argv.index("--gpu"):argv.index("--gpu") + 2] == ["--gpu", "H100"]
    assert argv[argv.index("--kv-dtype"):argv.index("--kv-dtype") + 2] == ["--kv-dtype", "e4m3"]
    assert result["kv_dtype"] == "fp8" and result == cli_json(argv)
    # a pasted config is part of the shareable link, and the link restores it
    before = updates(page)
    set_value(page, "#config-json", json.dumps(UNKNOWN_CONFIG))
    wait_for_update(page, before)
    link = page.url
    assert "config=" in link
    other = page.context.new_page()
    other.goto(link)
    wait_for_update(other, 0)
    (tmp_path / "config.json").write_text(json.dumps(UNKNOWN_CONFIG))
    result, argv = shown(other)
    assert json.loads(other.locator("#config-json").input_value()) == UNKNOWN_CONFIG
    assert result == cli_json(argv, cwd=tmp_path)
    other.close()


def test_a_failed_fetch_stays_visible_while_the_page_recalculates(page, site_url):
    page.route("**/resolve/main/config.json", lambda route: route.fulfill(status=500, body="down"))
    page.goto(site_url + "calculators/kv-cache/?seq-len=4096&model=example-org/nothing")
    wait_for_update(page, 0)
    page.locator(".calc-fetch").click()
    page.locator(".calc-error").wait_for(state="visible")
    before = updates(page)
    set_value(page, '[name="seq-len"]', "8192")  # a recalculation that does not touch the model
    wait_for_update(page, before)
    assert "config.json" in page.locator(".calc-error").inner_text()


def test_going_offline_during_start_up_leaves_no_uncaught_error(page, site_url):
    page.route("**/*.whl", lambda route: route.abort("internetdisconnected"))
    page.route("**/pyodide-snapshot-*", lambda route: route.abort("internetdisconnected"))
    page.goto(site_url + "calculators/kv-cache/?seq-len=4096")
    page.locator(".calc-status.calc-failed").wait_for(timeout=60_000)
    assert [e for e in page.log.console_errors if e.startswith("uncaught")] == []
    assert page.locator("#calc-result table").count() > 0  # the build-time result is still there
