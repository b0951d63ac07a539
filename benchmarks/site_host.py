"""The built site served on this machine as the README's deployment serves it, and the browser that reads it.

Shared by the calculator pages' benchmark and the browser tests. The server sends the Content-Security-Policy
that README ("Deploy") recommends on every response, read from README itself, and can compress text with gzip as
GitHub Pages does. The browser is Debian's Chromium, headless and offline: Playwright cannot download its own
browsers here, so it launches /usr/bin/chromium with flags that stop Chromium from reaching for the network in the
background.
"""

import functools
import gzip
import http.server
import re
import shutil
import threading
from pathlib import Path

from benchmarks import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# No inline script and nothing from another host but the Hub, for the calculators' optional config fetch. Images
# may be data: URLs and styles may be inline because Material draws its icons with data: SVGs in CSS and MathJax
# injects its styles.
HUB = "https://huggingface.co"
_README_POLICY = re.search(r"^Content-Security-Policy: (.+)$", (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
CONTENT_SECURITY_POLICY = _README_POLICY.group(1).replace(HUB, "{hub}")
COMPRESSED = {".html", ".css", ".js", ".mjs", ".json", ".xml", ".svg", ".txt"}


def serve(directory: Path, handler_class) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve directory on 127.0.0.1 at a free port, in a background thread; return the server and its URL."""
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def site_handler(hub_url: str = HUB, compress: bool = False):
    """A handler for the built site: the policy on every response, with hub_url as the one other host allowed
    (a test's stand-in Hub); with compress, text files go gzip-compressed to clients that accept it."""

    class SiteHandler(QuietHandler):
        def end_headers(self):
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(hub=hub_url))
            super().end_headers()

        def send_head(self):
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if (not compress or path.suffix not in COMPRESSED or not path.is_file()
                    or "gzip" not in self.headers.get("Accept-Encoding", "")):
                return super().send_head()
            body = gzip.compress(path.read_bytes(), compresslevel=6)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return _Body(body)

    return SiteHandler


class _Body:
    """What send_head returns for copyfile to read: the compressed bytes, once."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, *_):
        data, self.data = self.data, b""
        return data

    def close(self):
        pass
