"""What the browser tests watch on a page (the browser itself: benchmarks/site_host.py).

Each page records its console errors and every request that leaves the local server, so tests can assert that the
site makes no third-party request.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Material asks for sitemap.xml relative to each page to build the language switcher's links; only the root one
# exists, so the others answer 404. That request is not an error of the page.
IGNORED_CONSOLE_ERRORS = ("sitemap.xml",)


@dataclass
class PageLog:
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)


def watch(page, local_origin: str, also_allowed: tuple[str, ...] = ()) -> PageLog:
    """Attach listeners to a Playwright page; return the log they fill. Requests to local_origin and to the
    origins in also_allowed (the stand-in Hub) are not foreign."""
    log = PageLog()
    allowed = {urlsplit(origin).netloc for origin in (local_origin, *also_allowed)}

    def on_console(message):
        if message.type == "error" and not any(s in (message.location or {}).get("url", "") + message.text
                                                for s in IGNORED_CONSOLE_ERRORS):
            log.console_errors.append(message.text)

    def on_request(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc not in allowed:
            log.foreign_requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: log.console_errors.append(f"uncaught: {error}"))
    page.on("request", on_request)
    return log
