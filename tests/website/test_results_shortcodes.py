"""`result` and `results_table` read benchmarks/results/*.json; on zh-TW pages a value written in words comes from
its `KEY_zh` twin where the file has one, and numbers are the same in both languages."""

import html
import json

from tests.mkdocs_hooks import load_hook

shortcodes = load_hook("shortcodes")

SUITE = json.loads((shortcodes.RESULTS_DIR / "test-suite.json").read_text(encoding="utf-8"))


def test_a_label_in_words_reads_in_each_language():
    assert shortcodes.render_result("en", "test-suite", "machine.run") == html.escape(SUITE["machine"]["run"])
    assert shortcodes.render_result("zh-TW", "test-suite", "machine.run") == SUITE["machine"]["run_zh"]


def test_a_number_is_the_same_in_both_languages():
    en, zh = (shortcodes.render_result(language, "test-suite", "tests") for language in ("en", "zh-TW"))
    assert en == zh == f"{SUITE['tests']:,}"


def test_the_suite_table_names_the_rest_in_each_language():
    rest = SUITE["modules"][-1]
    english = shortcodes.render_results_table("en", "test-suite", "modules", "module,tests,seconds,share")
    chinese = shortcodes.render_results_table("zh-TW", "test-suite", "modules", "module,tests,seconds,share")
    assert rest["module"] in english and rest["module_zh"] in chinese and rest["module"] not in chinese
