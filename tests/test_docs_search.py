"""Search shows formulas as text and finds a Greek letter by either spelling (``search_text``).

- formulas are rewritten as readable text (``\\frac{\\partial L}{\\partial y}`` → ``∂L/∂y``),
  code is left as written;
- no entry of the built index shows LaTeX outside code, and for every Greek letter the query
  "δ" and the query "delta" match the same sections, matched as Material's lunr does: the
  index's separator splits the text between tags, and a query word matches the words it
  begins (Material adds a trailing wildcard);
- in Chromium, typing "δ" and "delta" into the search box lists the same results, none
  showing LaTeX.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from cdp_browser import Page, open_browser
from docs_support import load_hook


def _hook() -> ModuleType:
    return load_hook("search_text")


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\frac{\partial L}{\partial u_{jk}}", "∂L/∂u_jk"),
        (r"\delta^{(2)}_k = (y_k - t_k)", "δ^(2)_k = (y_k - t_k)"),
        (r"\sigma(z) = \frac{1}{1 + e^{-z}} ,", "σ(z) = 1/(1 + e^(-z)),"),
        (r"\tfrac12 (0.5)^2", "1/2 (0.5)^2"),
        (r"\bigl(1 - h_j^2\bigr) \sum_k \delta^{(2)}_k \, u_{jk}", "(1 - h_j^2) ∑_k δ^(2)_k u_jk"),
        (r"w \leftarrow w - \eta \, \frac{\partial L}{\partial w}", "w ← w - η ∂L/∂w"),
        (r"a &= 1 \\[0.4em] b &= 2", "a = 1; b = 2"),
        (r"\lvert d \rvert \le \delta", "|d| ≤ δ"),
        (r"0 \text{ where } y_j = t_j", "0 where y_j = t_j"),
        (r"\operatorname{softmax}(z)_j \in [0, 1]", "softmax(z)_j ∈ [0, 1]"),
        (r"\sqrt{2/\pi}\,(x + x^3)", "√(2/π) (x + x^3)"),
        (r"\left. \Delta \right|", "Δ |"),
    ],
)
def test_a_formula_reads_as_text(latex: str, text: str) -> None:
    assert _hook().readable_math(latex) == text


def test_only_formulas_outside_code_are_rewritten() -> None:
    entry = r"<p>With \(\delta &lt; 1\):</p> <code>\delta</code><pre><code>\(x\)</code></pre>"
    assert _hook().readable(entry) == (
        r"<p>With δ &lt; 1:</p> <code>\delta</code><pre><code>\(x\)</code></pre>"
    )


def test_a_letter_gets_the_spelling_it_lacks_and_no_english_word_makes_a_letter() -> None:
    separator = re.compile(r"[\s\-,:;!=/|()\[\]{}\"'^_\\]+|\.(?!\d)")
    missing = _hook().missing_spellings
    assert missing("<p>δ^(2) and Δ</p>", separator) == ["delta"]
    assert missing("<code>delta2 = x</code> and eta=0.5", separator) == ["δ", "η"]
    assert missing("pip install, a picture, numbers, much", separator) == []
    assert missing("δ and delta", separator) == []


# ---------------------------------------------------------------- the built index
CODE = re.compile(r"<pre\b.*?</pre>|<code\b.*?</code>", re.S)


def _index(site: Path) -> dict:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))


def _words(separator: re.Pattern[str], doc: dict) -> set[str]:
    text = re.sub(r"<[^>]*>", " ", doc["title"] + " " + doc["text"])
    return {word.lower() for word in separator.split(text) if word}


def test_no_entry_shows_latex_outside_code(site: Path) -> None:
    shown = []
    for doc in _index(site)["docs"]:
        for field in ("title", "text"):
            text = CODE.sub("", doc[field])
            found = re.findall(r".{0,30}(?:\\[A-Za-z]+|\$\$|\\\(|\\\[).{0,30}", text)
            shown += [f"{doc['location']} ({field}): {snippet}" for snippet in found]
    assert not shown, "LaTeX in search results:\n" + "\n".join(shown[:20])
    texts = "".join(CODE.sub("", doc["text"]) for doc in _index(site)["docs"])
    for latex in (r"\frac", r"\delta", "$$"):
        assert latex not in texts


def test_each_greek_letter_finds_the_same_sections_by_either_spelling(site: Path) -> None:
    index = _index(site)
    separator = re.compile(index["config"]["separator"])
    words = {doc["location"]: _words(separator, doc) for doc in index["docs"]}
    everything = set().union(*words.values())

    def found(query: str) -> set[str]:
        return {
            location for location, its in words.items() if any(w.startswith(query) for w in its)
        }

    compared = []
    for char, name in sorted(set(_hook().NAMES.items())):
        # A name that begins ordinary words (pi: pip, mu: multiply) finds those too, by design
        # of a prefix search; such a letter cannot be compared.
        if any(re.match(rf"{name}[a-z]", word) for word in everything):
            continue
        by_char, by_name = found(char), found(name)
        assert by_char == by_name, (
            f"{char} and {name} find different sections: only {char}: "
            f"{sorted(by_char - by_name)}, only {name}: {sorted(by_name - by_char)}"
        )
        if by_char:
            compared.append(char)
    assert {"δ", "σ", "η"} <= set(compared), f"compared only {compared}"
    assert len(found("δ")) >= 20
    assert "math/backpropagation/#backpropagation-in-four-equations" in found("δ")


# ---------------------------------------------------------------- in the browser
RESULTS = """(async () => {
  const meta = document.querySelector(".md-search-result__meta").textContent;
  const count = Number((meta.match(/\\d+/) || ["0"])[0]);
  const scroll = document.querySelector(".md-search__scrollwrap");
  const list = document.querySelector(".md-search-result__list");
  // Material lists ten pages, then more each time the end of the list scrolls into view:
  // up and down again, so that a list already scrolled to its end comes into view anew.
  for (let i = 0; i < 100 && list.children.length < count; i++) {
    scroll.scrollTop = 0;
    await new Promise(resolve => setTimeout(resolve, 50));
    scroll.scrollTop = scroll.scrollHeight;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  return {count, pages: list.children.length, text: list.textContent,
          links: [...list.querySelectorAll("a.md-search-result__link")]
                   .map(link => link.getAttribute("href").replace(/\\?h=[^#]*/, ""))};
})()"""


def _search(page: Page, site_url: str, query: str) -> dict:
    page.goto(site_url)
    page.evaluate(
        "document.querySelector('label[for=__search]').click();"
        "document.querySelector('.md-search__input').focus()"
    )
    page.type(query)
    page.wait_for("/matching/.test(document.querySelector('.md-search-result__meta').textContent)")
    return page.evaluate(RESULTS)


@pytest.mark.browser
def test_typing_delta_or_its_letter_lists_the_same_results(chromium: Path, site_url: str) -> None:
    with open_browser(chromium) as browser:
        page = browser.page(1280, 1000)
        by_letter, by_name = _search(page, site_url, "δ"), _search(page, site_url, "delta")
    assert by_letter["count"] >= 5 and by_letter["pages"] == by_letter["count"], by_letter
    assert sorted(by_letter["links"]) == sorted(by_name["links"])
    assert any("math/backpropagation/" in link for link in by_letter["links"])
    for latex in (r"\frac", r"\delta", "$$", r"\("):
        assert latex not in by_letter["text"], f"a result shows {latex}"


def test_a_soft_hyphen_does_not_split_a_word_of_the_index() -> None:
    """The timing table lets "backpropagation" break on a phone; search still finds the word."""
    assert _hook().readable("<th>backprop\u00adagation</th>") == "<th>backpropagation</th>"
