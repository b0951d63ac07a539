"""Every sentence the calculators say, as a code and its values, and how it reads in English and 繁體中文.

An error message, a note, how a memory term was computed, a KV-cache dtype's description: each is a
:class:`Message`, a code from the catalogs (``"value.positive_int"``, ``"note.sliding_window_cap"``) and the
values its template quotes. Each language has one catalog, ``code -> template`` (:mod:`.en`, :mod:`.zh_tw`),
and :func:`render` fills a code's template in a language with ``str.format``; the template formats the numbers
(``{maximum:,}``), so both languages show them alike. A value that is itself a Message (a KV dtype's
description inside a note, the reason a tensor-parallel degree was skipped) is rendered in the same language,
and a list of Messages is rendered item by item and joined with the language's separator.

``str(message)`` is English: the JSON the command line prints, and ``str(CalculatorError)``. The 繁體中文 pages
render the same messages with the zh-TW catalog (``to_dict(lang)`` of each result, ``CalculatorError.render``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from calculators.messages import en, zh_tw

#: Each language's catalog module: ``MESSAGES`` (code -> template) and ``LIST_SEPARATOR``.
CATALOGS = {"en": en, "zh-TW": zh_tw}


@dataclass(frozen=True, init=False)
class Message:
    """One sentence: a catalog ``code`` and the ``values`` its template quotes
    (``Message("kv.tp_not_divisor", heads=32, value=3)``)."""

    code: str
    values: dict = field(hash=False)

    def __init__(self, code: str, /, **values: object):
        if code not in en.MESSAGES:
            raise KeyError(f"no message {code!r} in calculators.messages.en")
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "values", values)

    def __str__(self) -> str:
        return render(self)


def render(value: object, lang: str = "en") -> str:
    """``value`` as text in ``lang``: a :class:`Message` from that language's catalog, a list of Messages joined
    with its separator, anything else (a note a caller wrote as plain text) as ``str`` gives it."""
    catalog = CATALOGS[lang]
    if isinstance(value, Message):
        values = {name: _value(item, lang) for name, item in value.values.items()}
        return catalog.MESSAGES[value.code].format_map(values)
    if _is_messages(value):
        return catalog.LIST_SEPARATOR.join(render(item, lang) for item in value)
    return str(value)


def _value(value: object, lang: str) -> object:
    """A template's value: translatable values rendered in ``lang``; numbers and text kept for the template."""
    return render(value, lang) if isinstance(value, Message) or _is_messages(value) else value


def _is_messages(value: object) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(item, Message) for item in value)


def python_text(kind: str, text: str) -> Message | str:
    """A fixed message of Python's own (``kind``: ``json``, ``utf8``, ``os`` or ``type``), such as a JSON parser's
    ``"Expecting value"``, as the Message whose English template is that text; unknown text is kept as it is."""
    prefix = f"python.{kind}."
    for code, template in en.MESSAGES.items():
        if code.startswith(prefix) and template == text:
            return Message(code)
    return text
