"""What a reader sees and does in the browser: hidden answers, and the decision-boundary picture.

- each exercise on the derivation page hides its question's body and its answer until clicked:
  a click on the question shows the question, the answer stays hidden until its own click,
  and then shows its text and rendered math;
- the classifier tutorial's decision-boundary picture is loaded and visible in the light and
  the dark scheme, and on the dark one it is no white box: its rendered pixels are read.

These tests drive Chromium over the DevTools protocol (``cdp_browser``); they are marked
``browser``. Screenshots of the picture go to the ``artifacts`` folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cdp_browser import Page, open_browser

DERIVATION = "math/backpropagation/"
CLASSIFIER = "tutorials/classifier/"

# For each exercise: is the question open, is its first paragraph shown, is the answer open, are
# the answer's first paragraph and its first formula shown.
STATE = """[...document.querySelectorAll("details.question")].map(question => {
  const answer = question.querySelector("details.success");
  const shown = element => !!element && element.checkVisibility()
    && element.getBoundingClientRect().height > 0;
  return {question: question.open, body: shown(question.querySelector(":scope > p")),
          answer: answer.open, answerText: shown(answer.querySelector(":scope > p")),
          answerMath: shown(answer.querySelector(".katex"))};
})"""


def _click_summaries(page: Page, selector: str) -> None:
    page.evaluate(f"document.querySelectorAll({selector!r}).forEach(summary => summary.click())")


@pytest.mark.browser
def test_exercise_answers_stay_hidden_until_clicked(chromium: Path, site_url: str) -> None:
    with open_browser(chromium) as browser:
        page = browser.page()
        page.goto(site_url + DERIVATION)
        page.wait_for("document.querySelectorAll('details.question .katex').length > 0")
        closed = page.evaluate(STATE)
        _click_summaries(page, "details.question > summary")
        asked = page.evaluate(STATE)
        _click_summaries(page, "details.question details.success > summary")
        answered = page.evaluate(STATE)
    assert len(closed) == 3, f"expected the three exercises, found {len(closed)}"
    hidden = {"question": False, "body": False, "answer": False}
    assert all({key: state[key] for key in hidden} == hidden for state in closed), closed
    assert not any(state["answerText"] or state["answerMath"] for state in closed), closed
    assert all(state["question"] and state["body"] for state in asked), asked
    assert not any(state["answer"] or state["answerText"] for state in asked), asked
    assert all(state["answer"] and state["answerText"] for state in answered), answered
    assert all(state["answerMath"] for state in answered), "an answer's math is not shown"


IMAGE = "figure.lk-boundary img"


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_decision_boundary_picture_is_loaded_and_readable_in_both_schemes(
    chromium: Path, site_url: str, artifacts: Path, scheme: str
) -> None:
    import numpy as np
    from PIL import Image

    screenshot = artifacts / f"boundary-{scheme}.png"
    with open_browser(chromium) as browser:
        page = browser.page(1280, 900, dark=scheme == "dark")
        page.goto(site_url + CLASSIFIER)
        state = page.evaluate(
            f"(() => {{ const image = document.querySelector({IMAGE!r});"
            " image.scrollIntoView({block: 'center'});"
            " const box = image.getBoundingClientRect();"
            " return {scheme: document.body.getAttribute('data-md-color-scheme'),"
            " complete: image.complete, natural: image.naturalWidth,"
            " visible: image.checkVisibility(), width: box.width, height: box.height,"
            " page: getComputedStyle(document.body).backgroundColor}; })()"
        )
        page.screenshot_of(IMAGE, screenshot)
    expected = "slate" if scheme == "dark" else "default"
    assert state["scheme"] == expected, f"the page is not in the {scheme} scheme: {state}"
    assert state["complete"] and state["natural"] > 0, f"the picture did not load: {state}"
    assert state["visible"] and state["width"] > 300 and state["height"] > 250, state

    pixels = np.asarray(Image.open(screenshot).convert("RGB")).astype(int).reshape(-1, 3)
    saturation = pixels.max(axis=1) - pixels.min(axis=1)
    dots = int((saturation > 90).sum())  # the data points, in tab10's strong colours
    assert dots > 2000, f"the data points do not show on the {scheme} scheme ({dots} pixels)"
    luminance = pixels @ np.array([0.3, 0.59, 0.11])
    if scheme == "dark":
        white = float((pixels.min(axis=1) > 225).mean())
        assert white < 0.01, f"the picture is a white box on the dark scheme ({white:.0%} white)"
        assert luminance.mean() < 90, f"the picture glares on the dark scheme: {luminance.mean()}"
    else:
        assert luminance.mean() > 170, (
            f"the picture is dark on the light scheme: {luminance.mean()}"
        )


# ------------------------------------------------------- the derivation page, at a glance
# What the screenshots of the derivation page at 1280 and 390 px showed, and is now measured.


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_derivation_tables_fit_and_equations_sit_close_to_their_text(
    chromium: Path, site_url: str, width: int
) -> None:
    """The notation and timing tables show every column without a sideways scroll (the timing
    table hid its ratio at 390 px), and a displayed equation takes no more height than its
    formula and margins (KaTeX's inline wrapper added an empty line above and below)."""
    with open_browser(chromium) as browser:
        page = browser.page(width, 900)
        page.goto(site_url + DERIVATION)
        page.wait_for("document.querySelectorAll('.katex-display').length > 15")
        tables = page.evaluate(
            "[...document.querySelectorAll('article table')]"
            ".filter(table => !table.closest('.lk-symbols'))"
            ".map(table => ({head: table.querySelector('th').textContent,"
            " width: table.scrollWidth, shown: table.clientWidth,"
            " right: table.getBoundingClientRect().right}))"
        )
        displays = page.evaluate(
            "[...document.querySelectorAll('div.arithmatex')].map(block => {"
            " const display = block.querySelector('.katex-display'),"
            " style = getComputedStyle(display);"
            " return {formula: display.textContent.slice(0, 40),"
            " extra: block.getBoundingClientRect().height - display.getBoundingClientRect().height"
            " - parseFloat(style.marginTop) - parseFloat(style.marginBottom)}; })"
        )
    heads = [table["head"] for table in tables]
    assert "Symbol" in heads and "network" in heads, f"tables found: {heads}"
    hidden = [t for t in tables if t["width"] > t["shown"] + 1 or t["right"] > width + 0.5]
    assert not hidden, f"tables that scroll sideways at {width} px: {hidden}"
    assert len(displays) >= 15
    loose = [d for d in displays if abs(d["extra"]) > 1]
    assert not loose, f"displayed equations with extra space around them: {loose[:5]}"


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_four_equations_box_shows_no_scroll_shadow_on_equations_that_fit(
    chromium: Path, site_url: str, artifacts: Path, scheme: str
) -> None:
    """The edge shadow marks a formula that scrolls; one that fits its box shows none (in the
    box's smaller type a line of shadow showed at the right edge of each of the four)."""
    import numpy as np
    from PIL import Image

    with open_browser(chromium) as browser:
        page = browser.page(1280, 900, dark=scheme == "dark")
        page.goto(site_url + DERIVATION)
        page.wait_for("document.querySelectorAll('.admonition .katex-display').length >= 4")
        fits = page.evaluate(
            "[...document.querySelectorAll('.admonition .katex-display')]"
            ".map(display => display.scrollWidth <= display.clientWidth)"
        )
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        edges = []
        for number in range(len(fits)):
            shot = artifacts / f"four-equations-{number + 1}-{scheme}.png"
            page.screenshot_of(".admonition div.arithmatex > span", shot, index=number)
            pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
            edges.append(np.concatenate([pixels[:, :3], pixels[:, -3:]], axis=1))
    assert len(fits) == 4 and all(fits), f"the four equations should fit at 1280 px: {fits}"
    colour = np.array([int(part) for part in re.findall(r"\d+", background)[:3]])
    for number, edge in enumerate(edges, start=1):
        off = int((np.abs(edge - colour).sum(axis=-1) > 12).sum())
        assert off == 0, f"equation {number} of the box shows {off} shadow pixels at its edges"
