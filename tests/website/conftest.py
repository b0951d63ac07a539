"""Fixtures for the checks of the built site: one strict build per test session, and a local HTTP server."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.site_host import QuietHandler, serve, site_handler

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"en": "", "zh-TW": "zh-TW/"}  # language -> URL prefix in the built site
ARTIFACTS = ROOT / "test-artifacts"


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


HUB_MODEL_ID = "example-org/tiny-hub-model"
HUB_MODEL_CONFIG = {
    "model_type": "qwen3", "hidden_size": 512, "intermediate_size": 1536, "num_hidden_layers": 6,
    "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 96, "vocab_size": 32000,
    "max_position_embeddings": 32768, "tie_word_embeddings": True,
}


class HubHandler(QuietHandler):
    """Like the real Hub's file URLs, allows cross-origin reads."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


@pytest.fixture(scope="session")
def site_url(site_dir, hub):
    """Serve the built site on 127.0.0.1 at a free port for the browser tests, under the policy README recommends,
    with the stand-in Hub as the one other host allowed."""
    server, url = serve(site_dir, site_handler(hub))
    yield url + "/"
    server.shutdown()
