"""Import a file under snippets/ as a module: the snippets are scripts in folders, not packages."""

import importlib.util
import sys
from pathlib import Path

SNIPPETS = Path(__file__).resolve().parents[1] / "snippets"


def load_snippet(relative: str):
    """snippets/<relative> (e.g. "theory/ste.py"), imported under a private name, with its folder on sys.path
    for the imports of its siblings."""
    path = SNIPPETS / relative
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("snippet_" + relative.removesuffix(".py").replace("/", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
