"""argparse's error messages as Messages.

argparse words its errors in English text only (``argument --seq-len: invalid int value: 'abc'``), so the shapes
the command line can produce are read back from that text, one pattern per argparse template, into the codes
``arguments.*`` of the catalogs. Text of another shape is kept whole (``arguments.other``), in English.
"""

from __future__ import annotations

import re

from calculators.messages import Message

_ARGUMENT = r"argument (?P<argument>\S+): "
_SHAPES = [
    (_ARGUMENT + r"invalid (?P<type>int|float) value: (?P<value>.+)", "arguments.invalid_value"),
    (_ARGUMENT + r"invalid choice: (?P<value>.+?), maybe you meant (?P<closest>.+?)\? \(choose from (?P<choices>.+)\)",
     "arguments.invalid_choice_suggested"),
    (_ARGUMENT + r"invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)", "arguments.invalid_choice"),
    (_ARGUMENT + r"expected one argument", "arguments.expected_one"),
    (_ARGUMENT + r"ignored explicit argument (?P<value>.+)", "arguments.ignored_explicit"),
    (r"the following arguments are required: (?P<arguments>.+)", "arguments.required"),
    (r"unrecognized arguments: (?P<arguments>.+)", "arguments.unrecognized"),
    (r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)", "arguments.ambiguous"),
]
_PATTERNS = [(re.compile(pattern, re.S), code) for pattern, code in _SHAPES]
_TYPES = {"int": Message("arguments.type.int"), "float": Message("arguments.type.float")}


def argparse_message(text: str) -> Message:
    """The Message of one argparse error text; its English rendering is ``text`` exactly."""
    for pattern, code in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            values = match.groupdict()
            if "type" in values:
                values["type"] = _TYPES[values["type"]]
            message = Message(code, **values)
            if str(message) == text:
                return message
    return Message("arguments.other", text=text)
