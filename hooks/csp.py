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
    return externalize_scripts(output, posixpath.dirname(page.file.dest_uri), config)


def on_post_template(output_content, template_name, config):
    """Static templates (Material's 404.html) are not pages: their inline scripts move out too. 404.html is
    served at any depth, so its script URLs are absolute from the site's root (site_url's path, or /)."""
    if template_name != "404.html":
        return output_content
    from urllib.parse import urlsplit

    root = urlsplit(config.site_url or "/").path or "/"
    return externalize_scripts(output_content, None, config, root=root)


def externalize_scripts(output: str, page_dir: str | None, config, root: str = "") -> str:
    """Move every inline script of ``output`` into a file named by its hash; link it relative to ``page_dir``
    (or absolutely under ``root`` when ``page_dir`` is None)."""
    site_dir = Path(config.site_dir)

    def externalize(match: re.Match) -> str:
        code = match.group("code")
        name = hashlib.sha256(code.encode("utf-8")).hexdigest()[:16] + ".js"
        target = site_dir / INLINE_DIR / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code, encoding="utf-8")
        if page_dir is None:
            src = posixpath.join(root, INLINE_DIR, name)
        else:
            src = posixpath.relpath(f"{INLINE_DIR}/{name}", page_dir or ".")
        return f'<script{match.group("type") or ""} src="{src}"></script>'

    return INLINE_SCRIPT.sub(externalize, output)
