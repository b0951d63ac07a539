"""Fixtures for the checks of the built site: one strict build per test session, and a local HTTP server."""

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"en": "", "zh-TW": "zh-TW/"}  # language -> URL prefix in the built site
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """Build the site once with --strict into a temporary folder; a failed build fails every test using it."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


# The policy the site is served under in the tests, and the one README ("Deploy") recommends: no inline script and
# nothing from another host. Images may be data: URLs and styles may be inline because Material draws its icons
# with data: SVGs in CSS and MathJax injects its style sheet at run time.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
    "img-src 'self' data:; style-src 'self' 'unsafe-inline'"
)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site with the Content-Security-Policy header on every response."""

    def end_headers(self):
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site_url(site_dir):
    """Serve the built site on 127.0.0.1 at a free port for the browser tests."""
    handler = functools.partial(QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
