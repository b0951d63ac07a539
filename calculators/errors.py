"""The one error type of the calculators, and the small validators that raise it.

Every invalid input raises :class:`CalculatorError`, a ``ValueError`` whose ``field`` names the input
(``seq_len``, ``kv_dtype``, ``config.num_key_value_heads``) and whose message says what is accepted:
``seq_len: expected a positive integer, got -3``. The message is a :class:`~calculators.messages.Message` (a code
and its values), so the 繁體中文 pages show the same error in Chinese (:meth:`CalculatorError.render`).

Limits on sizes are documented in :data:`LIMITS`; anything larger is refused as absurd rather than
computed, so a typo cannot produce a meaningless 10**30-byte answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from calculators.messages import Message, render

#: Largest accepted value of each kind of input (inclusive). Sizes beyond these are typos, not models.
LIMITS = {
    "seq_len": 1 << 26,  # 67,108,864 tokens per sequence
    "batch": 1 << 20,  # 1,048,576 concurrent sequences
    "tp": 1024,  # tensor-parallel ranks
    "block_size": 1 << 16,  # tokens per KV-cache page
    "dimension": 1 << 20,  # any hidden size, head count, head dim, expert or intermediate size
    "vocab_size": 1 << 24,
    "num_hidden_layers": 10_000,
    "positions": 1 << 32,  # max_position_embeddings and sliding windows read from a config
    "config_text_chars": 10_000_000,  # a config.json longer than 10 MB is not a config
}


class CalculatorError(ValueError):
    """An input the calculators cannot accept.

    ``field`` is the input's name as the user wrote it (``config.hidden_size`` for a config.json field);
    ``message`` says what is accepted, as a :class:`~calculators.messages.Message` or as its code and values
    (``CalculatorError("seq_len", "value.positive_int", value="-3")``). ``str(error)`` is ``"FIELD: message"`` in
    English.
    """

    def __init__(self, field: str, message: Message | str, /, **values: object):
        self.field = field
        self.message = message if isinstance(message, Message) else Message(message, **values)
        super().__init__(self.render())

    def render(self, lang: str = "en") -> str:
        """``"FIELD: message"`` with the message in ``lang`` (``"en"``, ``"zh-TW"``); the field is never translated."""
        return f"{self.field}: {render(self.message, lang)}"


def describe(value: object) -> str:
    """A short repr of ``value`` for error messages (long values are cut at 60 characters)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_int(value: object) -> bool:
    """True for a real integer (``bool`` is not one here: ``True`` is not a length)."""
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(field: str, value: object, maximum: int | None = None) -> int:
    """Return ``value`` if it is an integer in ``1..maximum``; otherwise raise CalculatorError."""
    if not is_int(value) or value < 1:
        raise CalculatorError(field, "value.positive_int", value=describe(value))
    if maximum is not None and value > maximum:
        raise CalculatorError(field, "value.int_range", minimum=1, maximum=maximum, value=value)
    return value


def non_negative_int(field: str, value: object, maximum: int | None = None) -> int:
    """Return ``value`` if it is an integer in ``0..maximum``; otherwise raise CalculatorError."""
    if not is_int(value) or value < 0:
        raise CalculatorError(field, "value.non_negative_int", value=describe(value))
    if maximum is not None and value > maximum:
        raise CalculatorError(field, "value.int_range", minimum=0, maximum=maximum, value=value)
    return value


def boolean(field: str, value: object) -> bool:
    """Return ``value`` if it is ``True`` or ``False``; otherwise raise CalculatorError."""
    if not isinstance(value, bool):
        raise CalculatorError(field, "value.boolean", value=describe(value))
    return value


def choice(field: str, value: object, options: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``options`` (strings); otherwise raise CalculatorError listing them."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise CalculatorError(field, "value.one_of", options=", ".join(options), value=describe(value))
    return value
