"""Typed reading of one config.json object, with errors that name the field (``config.hidden_size``).

A field that is absent (or ``null``) takes the default that ``transformers``' config class gives it,
when there is one. Where such a default changes the model's size and is a constant of one family
(Mistral's 8 KV heads, Gemma's head_dim 256), the reader records a note, so the default is never silent.
"""

from __future__ import annotations

from calculators.errors import LIMITS, CalculatorError, describe, is_int
from calculators.messages import Message

_REQUIRED = object()


class ConfigReader:
    """Reads fields of ``data`` (one JSON object) whose error names start with ``prefix``."""

    def __init__(self, data: dict, prefix: str, model_type: str):
        self.data = data
        self.prefix = prefix
        self.model_type = model_type
        self.notes: list[Message] = []

    def field(self, key: str) -> str:
        """The user-facing name of ``key``, e.g. ``config.text_config.hidden_size``."""
        return f"{self.prefix}.{key}"

    def note(self, message: Message) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def present(self, key: str) -> bool:
        """True when ``key`` is in the object and not ``null``."""
        return self.data.get(key) is not None

    def _lookup(self, key: str, aliases: tuple[str, ...]) -> tuple[str, object]:
        found = [(name, self.data[name]) for name in (key, *aliases) if self.data.get(name) is not None]
        if not found:
            return key, None
        name, value = found[0]
        for other, other_value in found[1:]:
            if other_value != value:
                raise CalculatorError(self.field(other), "config.conflict", other=self.field(name),
                                      this_value=describe(other_value), other_value=describe(value))
        return name, value

    def integer(
        self,
        key: str,
        default: object = _REQUIRED,
        *,
        aliases: tuple[str, ...] = (),
        minimum: int = 1,
        maximum: int = LIMITS["dimension"],
        note_default: bool = True,
    ) -> int:
        """An integer field in ``minimum..maximum``; ``default`` when absent or null (required if none)."""
        name, value = self._lookup(key, aliases)
        if value is None:
            if default is _REQUIRED:
                names = " or ".join(self.field(n) for n in (key, *aliases))
                raise CalculatorError(self.field(key), "config.missing", model_type=self.model_type, names=names)
            if note_default:
                self.note(Message("note.default", field=self.field(key), model_type=self.model_type, default=default))
            return default  # type: ignore[return-value]
        return self._check_int(name, value, minimum, maximum)

    def optional_int(
        self,
        key: str,
        absent: int | None = None,
        *,
        minimum: int = 1,
        maximum: int = LIMITS["dimension"],
        note_default: bool = False,
    ) -> int | None:
        """An integer field where ``null`` means "none"; ``absent`` is used when the key is missing."""
        if key not in self.data:
            if absent is not None and note_default:
                self.note(Message("note.default", field=self.field(key), model_type=self.model_type, default=absent))
            return absent
        value = self.data[key]
        if value is None:
            return None
        return self._check_int(key, value, minimum, maximum)

    def _check_int(self, key: str, value: object, minimum: int, maximum: int) -> int:
        if not is_int(value):
            raise CalculatorError(self.field(key), "value.integer", value=describe(value))
        if value < minimum or value > maximum:
            raise CalculatorError(self.field(key), "value.int_range", minimum=minimum, maximum=maximum, value=value)
        return value

    def flag(self, key: str, default: bool) -> bool:
        """A true/false field; ``default`` when absent or null."""
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise CalculatorError(self.field(key), "value.boolean", value=describe(value))
        return value

    def text(self, key: str, default: str | None = None) -> str | None:
        """A string field; ``default`` when absent or null."""
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise CalculatorError(self.field(key), "value.string", value=describe(value))
        return value

    def int_list(self, key: str, *, minimum: int = 0, maximum: int = LIMITS["num_hidden_layers"]) -> list[int]:
        """A list of integers (layer indices); empty when absent or null."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise CalculatorError(self.field(key), "value.int_list", value=describe(value))
        return [self._check_int(f"{key}[{i}]", item, minimum, maximum) for i, item in enumerate(value)]

    def layer_types(self, num_layers: int, allowed: tuple[str, ...]) -> list[str] | None:
        """``layer_types``: one entry per layer, each one of ``allowed``; None when absent or null.

        Legacy names are mapped as ``transformers`` maps them (``attention`` -> ``full_attention``,
        ``mamba`` -> ``linear_attention``).
        """
        value = self.data.get("layer_types")
        if value is None:
            return None
        if not isinstance(value, list):
            raise CalculatorError(self.field("layer_types"), "value.string_list", value=describe(value))
        if len(value) != num_layers:
            raise CalculatorError(self.field("layer_types"), "config.layer_count", layers=num_layers, value=len(value))
        legacy = {"attention": "full_attention", "mamba": "linear_attention"}
        types = []
        for i, item in enumerate(value):
            item = legacy.get(item, item) if isinstance(item, str) else item
            if item not in allowed:
                raise CalculatorError(self.field(f"layer_types[{i}]"), "config.layer_type", options=", ".join(allowed),
                                      model_type=self.model_type, value=describe(item))
            types.append(item)
        return types
