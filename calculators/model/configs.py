"""Where a model description comes from: a preset id, a config.json file or folder, or JSON text.

``load_config(source)`` returns the config dict; ``load_spec(source)`` the :class:`ModelSpec` read from it,
labelled with where it came from. Nothing here touches the network.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from functools import cache

from calculators.errors import LIMITS, CalculatorError, describe
from calculators.messages import python_text
from calculators.model.families import model_spec
from calculators.model.presets import PRESETS
from calculators.model.spec import ModelSpec

_PRESETS_BY_LOWER = {hf_id.lower(): hf_id for hf_id in PRESETS}


MAX_JSON_DEPTH = 64  # real configs nest 3-4 levels; deeper text is refused before the parser recurses into it
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def json_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text, strings skipped (a bound checked before parsing: the
    parser recurses once per level, and in the browser a deep enough text exhausts the WebAssembly stack)."""
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", _JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_config_json(text: object, field: str = "config") -> dict:
    """Parse config.json text into a dict; CalculatorError (naming ``field``) if it is not a JSON object."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CalculatorError(field, "config.not_utf8", reason=python_text("utf8", error.reason),
                                  position=error.start) from None
    if not isinstance(text, str):
        raise CalculatorError(field, "config.not_text", type=type(text).__name__)
    if len(text) > LIMITS["config_text_chars"]:
        raise CalculatorError(field, "config.too_long", length=len(text), limit=LIMITS["config_text_chars"])
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise CalculatorError(field, "config.too_deep", depth=depth, limit=MAX_JSON_DEPTH)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise CalculatorError(field, "config.invalid_json", reason=python_text("json", error.msg), line=error.lineno,
                              column=error.colno) from None
    except (RecursionError, ValueError) as error:
        raise CalculatorError(field, "config.unusable_json", type=type(error).__name__) from None
    if not isinstance(value, dict):
        raise CalculatorError(field, "config.not_an_object", type=python_text("type", type(value).__name__))
    return value


def preset_config(hf_id: str) -> dict:
    """A copy of the preset config for ``hf_id`` (case-insensitive); CalculatorError suggesting close ids."""
    if not isinstance(hf_id, str):
        raise CalculatorError("model", "config.preset_id", value=describe(hf_id))
    canonical = _PRESETS_BY_LOWER.get(hf_id.strip().lower())
    if canonical is None:
        close = difflib.get_close_matches(hf_id, list(PRESETS), n=3, cutoff=0.5)
        if close:
            raise CalculatorError("model", "config.unknown_preset_close", value=describe(hf_id), close=", ".join(close))
        raise CalculatorError("model", "config.unknown_preset", value=describe(hf_id))
    return copy.deepcopy(PRESETS[canonical])


def load_config(source: object) -> dict:
    """The config dict named by ``source``.

    Accepted: a dict (returned as is), a preset id (``"meta-llama/Llama-3.1-8B"``), JSON text
    (``'{"model_type": ...}'``), bytes of JSON, or a path to a config.json file or a folder holding one.
    """
    if isinstance(source, dict):
        return source
    if isinstance(source, bytes):
        return parse_config_json(source)
    if isinstance(source, os.PathLike):
        return _read_path(os.fspath(source))
    if not isinstance(source, str):
        raise CalculatorError("model", "config.source_type", type=type(source).__name__)
    text = source.strip()
    if text.startswith("{") or text.startswith("["):
        return parse_config_json(text)
    if text.lower() in _PRESETS_BY_LOWER:
        return preset_config(text)
    if text and len(text) < 4096 and os.path.exists(text):
        return _read_path(text)
    if text.count("/") == 1 and not text.startswith((".", "/")) and not text.endswith(".json"):
        preset_config(text)  # raises, suggesting close preset ids
    raise CalculatorError("model", "config.no_source", value=describe(source))


def load_spec(source: object) -> ModelSpec:
    """The ModelSpec of ``source`` (see :func:`load_config`), labelled with the preset id or path."""
    if isinstance(source, str) and source.strip().lower() in _PRESETS_BY_LOWER:
        return preset_spec(_PRESETS_BY_LOWER[source.strip().lower()])
    config = load_config(source)
    if isinstance(source, dict):
        label = "config"
    elif isinstance(source, (str, os.PathLike)) and not str(source).strip().startswith(("{", "[")):
        label = os.fspath(source)
    else:
        label = "config.json text"
    return model_spec(config, source=label)


@cache
def preset_spec(hf_id: str) -> ModelSpec:
    """The ModelSpec of a preset (computed on first use, then cached)."""
    return model_spec(preset_config(hf_id), source=hf_id)


def _read_path(path: str) -> dict:
    if os.path.isdir(path):
        path = os.path.join(path, "config.json")
    try:
        with open(path, "rb") as file:
            data = file.read(LIMITS["config_text_chars"] + 1)
    except OSError as error:
        raise CalculatorError("model", "config.unreadable", path=path,
                              reason=python_text("os", error.strerror) if error.strerror else str(error)) from None
    return parse_config_json(data, field=path)
