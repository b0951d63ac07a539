"""Copy the front-end libraries the site serves itself from node_modules/ into the built site.

Nothing is loaded from a CDN: `npm ci` installs the pinned packages (package-lock.json) and this hook copies the
files the pages need to site/assets/vendor/. A missing file fails the build and names the command that fixes it.
"""

import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"

# (source under node_modules, destination under site/assets/vendor)
VENDORED = [
    ("mathjax/es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
    ("mathjax/es5/output/chtml/fonts/woff-v2", "mathjax/output/chtml/fonts/woff-v2"),
    # Pyodide for the in-browser calculators: the runtime and the standard library, no packages (none are needed).
    *[(f"pyodide/{name}", f"pyodide/{name}") for name in (
        "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json",
    )],
]


def on_post_build(config):
    vendor_dir = Path(config.site_dir) / "assets" / "vendor"
    for source, destination in VENDORED:
        src = NODE_MODULES / source
        if not src.exists():
            raise PluginError(f"{src} is missing: run `npm ci` (or `make serve`, which runs it) first")
        dst = vendor_dir / destination
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
