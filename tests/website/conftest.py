"""Fixtures for the checks of the built site: one strict build per test session, and a local HTTP server."""

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"en": "", "zh-TW": "zh-TW/"}  # language -> URL prefix in the built site
ARTIFACTS = ROOT / "test-artifacts"


def serve(directory: Path, handler_class) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    """A stand-in for the Hugging Face Hub's file URLs (/<org>/<model>/resolve/main/config.json), on loopback.
    It holds one model, HUB_MODEL_ID, whose config is not among the calculators' presets."""
    root = tmp_path_factory.mktemp("hub")
    folder = root / HUB_MODEL_ID / "resolve" / "main"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(HUB_MODEL_CONFIG), encoding="utf-8")
    server, url = serve(root, HubHandler)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, hub) -> Path:
    """Build the site once with --strict into a temporary folder; a failed build fails every test using it.
    The calculators' "fetch config.json" button is pointed at the stand-in hub."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "CALCULATORS_HUB_URL": hub}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


# The policy the site is served under in the tests is the one README ("Deploy") recommends, read from it: no inline
# script and nothing from another host but the Hub, for the calculators' optional config fetch (the tests' Hub
# stand-in takes its place). Images may be data: URLs and styles may be inline because Material draws its icons
# with data: SVGs in CSS and MathJax injects its styles.
HUB = "https://huggingface.co"
_README_POLICY = re.search(r"^Content-Security-Policy: (.+)$", (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
CONTENT_SECURITY_POLICY = _README_POLICY.group(1).replace(HUB, "{hub}")
HUB_MODEL_ID = "example-org/tiny-hub-model"
HUB_MODEL_CONFIG = {
    "model_type": "qwen3", "hidden_size": 512, "intermediate_size": 1536, "num_hidden_layers": 6,
    "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 96, "vocab_size": 32000,
    "max_position_embeddings": 32768, "tie_word_embeddings": True,
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class HubHandler(QuietHandler):
    """Like the real Hub's file URLs, allows cross-origin reads."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def site_handler(hub_url: str):
    class SiteHandler(QuietHandler):
        """Serves the built site with the Content-Security-Policy header on every response."""

        def end_headers(self):
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(hub=hub_url))
            super().end_headers()

    return SiteHandler


@pytest.fixture(scope="session")
def site_url(site_dir, hub):
    """Serve the built site on 127.0.0.1 at a free port for the browser tests."""
    server, url = serve(site_dir, site_handler(hub))
    yield url + "/"
    server.shutdown()
