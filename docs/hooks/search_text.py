"""MkDocs hook: search results show formulas as text, and find Greek letters by either spelling.

Material's search index (``site/search/search_index.json``) holds each section's text with its
math as LaTeX source, so a result read ``\\(\\frac{\\partial L}{\\partial y_k}\\)``. After the
build this hook rewrites every formula outside code as readable text, ``∂L/∂y_k``: Greek
letters and operators become their symbols, ``\\frac{a}{b}`` becomes ``a/b``, sizing and
spacing commands and braces go. A section that has a Greek letter in either form, δ or the
word ``delta`` (as in the code's ``delta2``), also gets the other form in a hidden span, so
that searching for "δ" and for "delta" finds the same sections.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
# The spelling a search finds each letter by (search lowercases: Δ is found as δ).
NAMES = {char.lower(): name.lower().removeprefix("var") for name, char in GREEK.items()}
SYMBOLS = {
    "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫", "infty": "∞",
    "cdot": "·", "times": "×", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "circ": "∘",
    "pm": "±", "mp": "∓", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
    "approx": "≈", "sim": "~", "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫",
    "in": "∈", "notin": "∉", "forall": "∀", "exists": "∃", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "gets": "←", "Rightarrow": "⇒", "mapsto": "↦", "dots": "…",
    "ldots": "…", "cdots": "…", "vdots": "⋮", "ddots": "⋱", "prime": "′", "top": "⊤",
    "ell": "ℓ", "langle": "⟨", "rangle": "⟩", "lvert": "|", "rvert": "|", "vert": "|",
    "mid": "|", "lVert": "‖", "rVert": "‖", "|": "‖", "{": "{", "}": "}", "_": "_", "%": "%",
    "&": "&", "#": "#", "\\": "; ", ",": " ", ";": " ", ":": " ", " ": " ", "!": "",
    "quad": " ", "qquad": " ",
}  # fmt: skip
# Commands that only size or space what follows: dropped (\left( keeps its parenthesis).
DROP = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "Biggl", "Biggr", "displaystyle", "textstyle", "limits", "nolimits", "mathstrut",
}  # fmt: skip
FRACTIONS = {"frac", "dfrac", "tfrac", "cfrac"}
ENVIRONMENTS = {"begin", "end"}

TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.S)
MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)
CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.S)
SIMPLE = re.compile(r"[^\s+\-=,/·×<>]+")  # a sub- or superscript that needs no parentheses
PARENTHESISED = re.compile(r"\([^()]*\)")


class _Reader:
    """Turns LaTeX tokens into text, reading a command's arguments as it meets them."""

    def __init__(self, latex: str) -> None:
        self.tokens = TOKEN.findall(latex)
        self.at = 0

    def text(self, until: str | None = None) -> str:
        parts = []
        while self.at < len(self.tokens) and self.tokens[self.at] != until:
            parts.append(self.atom())
        self.at += 1  # past the closing brace (or the end)
        return "".join(parts)

    def argument(self) -> tuple[str, bool]:
        """The next argument as text, and whether it was braced."""
        self._skip_space()
        if self.at < len(self.tokens) and self.tokens[self.at] == "{":
            self.at += 1
            return self.text("}").strip(), True
        return (self.atom() if self.at < len(self.tokens) else ""), False

    def atom(self) -> str:
        token = self.tokens[self.at]
        self.at += 1
        if token == "{":
            return self.text("}")
        if token in ("^", "_"):
            value, braced = self.argument()
            return token + (value if not braced else _grouped(value))
        if token == "&":
            return " "  # an alignment point
        if not token.startswith("\\"):
            return token
        return self.command(token[1:])

    def command(self, name: str) -> str:
        if name in GREEK:
            return GREEK[name]
        if name in ("partial", "nabla"):
            self._skip_space()  # ∂L, as in ∂L/∂y
        if name == "\\" and self._next() == "[":
            while self._next() not in ("]", None):
                self.at += 1  # a line break's spacing, \\[0.4em]
            self.at += 1
        if name in SYMBOLS:
            return SYMBOLS[name]
        if name in DROP:
            if self.at < len(self.tokens) and self.tokens[self.at] == ".":
                self.at += 1  # \left. is an invisible delimiter
            return ""
        if name in ENVIRONMENTS:
            self.argument()
            return " "
        if name in FRACTIONS:
            numerator, denominator = self.argument()[0], self.argument()[0]
            return f"{_grouped(numerator)}/{_grouped(denominator)}"
        if name == "sqrt":
            return "√" + _grouped(self.argument()[0])
        if name in ("text", "mbox", "textrm", "textit", "textbf") and self._next() == "{":
            self.at += 1
            return self.text("}")  # with its spaces: \text{ where }
        if name.startswith(("math", "text", "operatorname", "bold", "bm")) or name in (
            "hat", "bar", "tilde", "vec", "overline", "underline", "widehat", "widetilde",
        ):  # fmt: skip
            return self.argument()[0]
        return name  # \log, \tanh, \max and any other command: its name, as a word

    def _next(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _skip_space(self) -> None:
        while (self._next() or "x").isspace():
            self.at += 1


def _grouped(value: str) -> str:
    """``value``, in parentheses unless it is one word or already in parentheses."""
    value = value.strip()
    return value if SIMPLE.fullmatch(value) or PARENTHESISED.fullmatch(value) else f"({value})"


def readable_math(latex: str) -> str:
    """One formula's LaTeX as plain text: ``\\frac{\\partial L}{\\partial y}`` → ``∂L/∂y``."""
    text = _Reader(latex).text()
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\| ([^|\s]+) \|", r"|\1|", text)  # \lvert d \rvert
    return re.sub(r" ([.,;])(?= |$)", r"\1", text)


def readable(text: str) -> str:
    """An index entry's HTML with each formula outside code replaced by readable text."""

    def formula(match: re.Match[str]) -> str:
        latex = html.unescape(match.group(1) if match.group(1) is not None else match.group(2))
        return html.escape(readable_math(latex), quote=False)

    text = text.replace("\u00ad", "")  # a soft hyphen would split a word in the index
    parts = CODE.split(text)
    return "".join(
        part if index % 2 else MATH.sub(formula, part) for index, part in enumerate(parts)
    )


def _words(text: str, separator: re.Pattern[str]) -> set[str]:
    """The words search indexes in an entry: text between tags, split, lowercased."""
    return {word.lower() for word in separator.split(re.sub(r"<[^>]*>", " ", text)) if word}


def missing_spellings(text: str, separator: re.Pattern[str]) -> list[str]:
    """The spellings of the Greek letters in ``text`` that it lacks: δ for delta and back.

    A word counts as a letter's name when nothing but non-letters follow it (``delta``,
    ``delta2``, ``delta=1``), so that ``pip`` does not make a π.
    """
    words = _words(text, separator)
    missing = []
    for char, name in sorted(set(NAMES.items())):
        has_char = any(word.startswith(char) for word in words)
        has_name = any(re.match(rf"{name}(?![a-z])", word) for word in words)
        if has_char and not has_name:
            missing.append(name)
        elif has_name and not has_char:
            missing.append(char)
    return sorted(set(missing))


def rewrite(index: dict[str, Any]) -> dict[str, Any]:
    """The search index with readable formulas and both spellings of every Greek letter."""
    separator = re.compile(index["config"]["separator"])
    for doc in index["docs"]:
        doc["title"] = readable(doc["title"])
        doc["text"] = readable(doc["text"])
        missing = missing_spellings(doc["title"] + " " + doc["text"], separator)
        if missing:
            doc["text"] += f' <span class="lk-also" hidden> {" ".join(missing)} </span>'
    return index


def on_post_build(config: Any, **kwargs: Any) -> None:
    """Rewrite ``search/search_index.json`` in the built site."""
    path = Path(config.site_dir) / "search" / "search_index.json"
    if path.is_file():
        index = rewrite(json.loads(path.read_text(encoding="utf-8")))
        path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), "utf-8")
