"""Every `{{ run SNIPPET }}` on the site, run the way the build runs it (hooks/shortcodes.py): it exits 0, prints its
output and nothing on stderr, and prints the same output twice, so every build shows the same text (how long the
snippets take is the build's business, not asserted here). Both languages must run the same snippets, since the
build runs each once for the two of them."""

import os
import subprocess

import pytest

from tests.mkdocs_hooks import load_hook

shortcodes = load_hook("shortcodes")
ROOT = shortcodes.ROOT
DOCS = ROOT / "docs"


def run_targets(language: str) -> set[str]:
    """The SNIPPET of every `run` shortcode on the pages of one language (code spans that show the syntax are not
    shortcodes, as in the build)."""
    targets = set()
    for page in (DOCS / language).rglob("*.md"):
        for match in shortcodes.SHORTCODE.finditer(page.read_text(encoding="utf-8")):
            if not match.group("code") and match.group("name") == "run":
                targets.add(match.group("args").strip())
    return targets


TARGETS = sorted(run_targets("en"))


def test_both_languages_run_the_same_snippets():
    assert TARGETS, "no page has a run shortcode"
    assert run_targets("zh-TW") == set(TARGETS)


@pytest.mark.parametrize("target", TARGETS)
def test_snippet_runs_as_the_build_runs_it(target: str):
    assert (shortcodes.SNIPPETS_DIR / target).is_file(), target
    env = {**os.environ, **shortcodes.SNIPPET_ENV}
    runs = [subprocess.Popen(shortcodes.snippet_command(target), cwd=ROOT, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]  # side by side
    outputs = [run.communicate(timeout=60) for run in runs]
    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr[-2000:]
        assert stdout.strip() and not stderr, stderr[-2000:]
    assert outputs[0][0] == outputs[1][0], f"{target} prints something different on each run"
