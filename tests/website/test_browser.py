"""The built site in headless Chromium: offline, no console errors, language switcher, search, math."""

import os

import pytest

from benchmarks.site_host import CHROMIUM, CHROMIUM_FLAGS

from .browser import watch
from .conftest import ARTIFACTS, LANGUAGES, ROOT

DOCS = ROOT / "docs"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by `make test`")


@pytest.fixture(scope="module")
def browser():
    assert os.path.exists(CHROMIUM), (
        f"{CHROMIUM} not found: install Debian's chromium (`apt-get install chromium fonts-wqy-microhei`, "
        "as .ci/run does) to run the browser tests"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.log = watch(page, site_url)
    yield page
    context.close()


def wait_for_math(page):
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")


@pytest.mark.parametrize("language,prefix", LANGUAGES.items())
def test_home_page_loads_offline_without_errors(page, site_url, language, prefix):
    page.goto(site_url + prefix, wait_until="networkidle")
    assert page.get_attribute("html", "lang") == language
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home-{language}.png"), full_page=False)
    assert page.log.console_errors == []
    assert page.log.foreign_requests == []


def test_the_404_page_runs_under_the_recommended_policy(page, site_url):
    """404.html is a static template, not a page: its inline scripts are moved out too (hooks/csp.py)."""
    page.goto(site_url + "404.html", wait_until="networkidle")
    assert page.log.console_errors == []
    inline = "script:not([src]):not([type='application/json'])"
    assert page.evaluate(f'() => document.querySelectorAll("{inline}").length') == 0


@pytest.mark.parametrize("source,target", [("", "zh-TW/"), ("zh-TW/", "")])
def test_language_switcher_lands_on_the_same_page(page, site_url, source, target):
    page.goto(site_url + source + "glossary/", wait_until="networkidle")
    hreflang = "zh-TW" if target else "en"
    page.locator(f'a.md-select__link[hreflang="{hreflang}"]').first.evaluate("a => a.click()")
    page.wait_for_url(site_url + target + "glossary/")
    assert page.get_attribute("html", "lang") == hreflang


@pytest.mark.parametrize("query,expected_page", [("quantization", "glossary/"), ("量化", "zh-TW/glossary/"),
                                                 ("知識蒸餾", "zh-TW/glossary/"), ("困惑度", "zh-TW/glossary/")])
def test_search_finds_english_and_chinese_terms(page, site_url, query, expected_page):
    page.goto(site_url, wait_until="networkidle")
    search = page.locator("input.md-search__input")
    search.click()
    # Typing CJK with key events does not reach Material's search; set the value and fire the events it listens to.
    search.evaluate(
        "(input, query) => { input.value = query; input.dispatchEvent(new Event('input', {bubbles: true}));"
        " input.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true})); input.focus(); }",
        query,
    )
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    if expected_page.startswith("zh-TW/"):  # a Chinese term finds Chinese pages (the labs may outrank the glossary)
        assert all(href.startswith(site_url + "zh-TW/") for href in hrefs), hrefs
    else:
        assert any(expected_page in href for href in hrefs), hrefs
    assert page.log.console_errors == []


@pytest.mark.parametrize("path", ["", "zh-TW/calculators/gpu-planner/"])
def test_search_index_waits_until_the_reader_reaches_for_search(page, site_url, path):
    """The whole site's search index (over a megabyte) is not part of a page load: it comes on first use."""
    index_requests = []
    page.on("request", lambda request: request.url.endswith("/search/search_index.json")
            and index_requests.append(request.url))
    page.goto(site_url + path, wait_until="networkidle")
    page.wait_for_timeout(500)
    assert index_requests == []
    with page.expect_response(lambda response: response.url.endswith("/search/search_index.json")):
        page.locator("input.md-search__input").click()
    assert len(index_requests) == 1
    assert page.log.console_errors == []


MATH_PAGES = ["glossary/", "labs/rounding-error/"] + sorted(
    f"learning-path/{page.stem}/" for page in (DOCS / "en" / "learning-path").glob("*.md")
)


@pytest.mark.parametrize("prefix", LANGUAGES.values())
@pytest.mark.parametrize("path", MATH_PAGES)
def test_math_is_typeset_in_pages_and_notebooks(page, site_url, prefix, path):
    page.goto(site_url + prefix + path, wait_until="networkidle")
    wait_for_math(page)
    assert page.locator("mjx-container").count() > 0
    text = page.locator("article").inner_text()
    assert "$$" not in text and "\\(" not in text and "\\[" not in text
    assert page.log.console_errors == [] and page.log.foreign_requests == []
