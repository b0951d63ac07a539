"""Make every page work under a strict Content-Security-Policy (`script-src 'self'`, no inline scripts).

Material writes a few small inline <script> blocks into each page (storage helpers, palette, tabs). This hook
moves each one, unchanged, into an external file under assets/javascripts/inline/ named by its content hash, and
replaces it with <script src="...">. An external classic script runs at the same point of parsing as the inline one
did (a module script stays a module script), so behaviour is unchanged. JSON data blocks
(<script type="application/json">) are not executed and stay.
"""

import hashlib
import posixpath
import re
from pathlib import Path

# Classic and module scripts with a body and no src (mkdocs-jupyter's template adds an inline module script).
INLINE_SCRIPT = re.compile(r'<script(?P<type> type="module")?>(?P<code>.*?)</script>', re.S)
INLINE_DIR = "assets/javascripts/inline"


def on_post_page(output, page, config):
    site_dir = Path(config.site_dir)
    page_dir = posixpath.dirname(page.file.dest_uri)

    def externalize(match: re.Match) -> str:
        code = match.group("code")
        name = hashlib.sha256(code.encode("utf-8")).hexdigest()[:16] + ".js"
        target = site_dir / INLINE_DIR / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code, encoding="utf-8")
        src = posixpath.relpath(f"{INLINE_DIR}/{name}", page_dir or ".")
        return f'<script{match.group("type") or ""} src="{src}"></script>'

    return INLINE_SCRIPT.sub(externalize, output)
