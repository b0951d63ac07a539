"""The site's MkDocs hooks (hooks/*.py), loaded for a test as MkDocs loads them: as a module named after the file,
with hooks/ on sys.path only while the module runs (so a hook imports its siblings by name)."""

import functools
import importlib.util
import sys
from pathlib import Path

HOOKS = Path(__file__).resolve().parent.parent / "hooks"


@functools.cache
def load_hook(name: str):
    """hooks/<name>.py as a module (one instance per test session)."""
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    old_path = sys.path.copy()
    sys.path.insert(0, str(HOOKS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = old_path
    return module
