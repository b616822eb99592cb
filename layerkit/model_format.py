"""The names and limits of a model file that `save` and `load` share.

`save` refuses a model whose file `load` would refuse, so both sides check against the same
constants and the same two checks, kept here: the size of the JSON header
(`header_size_problem`) and how deep JSON nests and whether its keys are strings
(`json_problem`). `layerkit.serialization` re-exports the public constants.
"""

from __future__ import annotations

from typing import Any

FORMAT = "layerkit-model"
"""The ``"format"`` entry of every header: tells a layerkit model from any other ``.npz``."""
FORMAT_VERSION = 2
"""The newest version of the file layout this layerkit writes; it reads this version and older.

Version 2 adds an optimizer and its state (a checkpoint); a file without one is written as
version 1, which layerkit 0.1.0 reads too."""
MODEL_ONLY_VERSION = 1
"""The version `save` writes for a model without an optimizer."""
HEADER = "__layerkit__"
"""The name of the array that holds the JSON header."""
MAX_HEADER_BYTES = 16 * 2**20
"""The largest header `load` reads (16 MiB); the header of a real model is a few kilobytes."""
MAX_HEADER_VALUES = 2**19
"""The most JSON values a header may hold (counted by their separators, ``,`` ``[`` ``{``): a
header of that many values costs at most some 40 MiB once parsed."""
MAX_DEPTH = 100
"""How deep `Sequential` models may nest in a model file (`save` refuses deeper ones)."""

MAX_NESTING = 2 * MAX_DEPTH + 50  # JSON nesting of a header; metadata may nest this deep
MAX_ARRAY_BYTES = 2**48  # no parameter is larger; keeps shape arithmetic far from overflow


def header_size_problem(encoded: bytes) -> str | None:
    """Why a header (JSON, UTF-8) is too large for `load`, if it is."""
    if len(encoded) > MAX_HEADER_BYTES:
        return f"is {len(encoded)} bytes long, more than {MAX_HEADER_BYTES}"
    values = encoded.count(b",") + encoded.count(b"[") + encoded.count(b"{")
    if values > MAX_HEADER_VALUES:
        return f"holds some {values} JSON values, more than {MAX_HEADER_VALUES}"
    return None


def json_problem(value: Any, limit: int) -> str | None:
    """What JSON would change or refuse in ``value``: a non-string key, a nesting over ``limit``."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return f"nested more than {limit} deep"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"key {shown(key)} is of type {type(key).__name__}, not a string"
                pending.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            pending.extend((child, depth + 1) for child in item)
    return None


def shown(value: object) -> str:
    """``repr(value)`` for an error message: at most 100 characters, and never an error."""
    try:
        text = repr(value)
    except Exception:  # an int of 5,000 digits, a layer whose config() fails
        return f"<a {type(value).__name__} that cannot be shown>"
    return text if len(text) <= 100 else text[:97] + "..."
