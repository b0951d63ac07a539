"""Architecture fields of well-known models, as their Hugging Face ``config.json`` files spell them.

The data is ``calculators/data/presets.json`` (package data, read once at import with ``importlib.resources``, so
it loads the same from a source tree, an installed wheel and Pyodide): one object whose keys are Hugging Face
model ids, in the order the calculators list them, and whose values are the model's ``config.json`` with the
fields that change no size left out (token ids, dropout, ...). The other fields, nested ``text_config``,
``vision_config`` and ``rope_scaling`` included, are spelled as in the model's own file on the Hub
(``https://huggingface.co/<id>/blob/main/config.json``), the source of each preset. JSON keeps the types:
``1e-06`` and ``8.0`` load as floats, ``8`` as an int, ``null`` as ``None``.

``PRESETS[hf_id]`` is that config dict, which ``model_spec`` reads like a downloaded config.json. The test suite
checks that each preset's parameter count equals what ``transformers`` builds from it, and the published totals
where known.
"""

from __future__ import annotations

import json
from importlib.resources import files

#: Hugging Face id -> config dict, in the data file's order.
PRESETS: dict[str, dict] = json.loads((files("calculators") / "data" / "presets.json").read_text(encoding="utf-8"))


def preset_ids() -> list[str]:
    """The preset Hugging Face ids, in the data file's order."""
    return list(PRESETS)
