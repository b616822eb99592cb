"""The δ flow drawn: `explanation_html` / ``layerkit explain --html`` and the Jupyter reprs.

The page must load nothing from the network, carry explain's own numbers and formulas (the
drawing's labels hold every digit in ``data-value``; the panels print the text trace's
lines), and, in headless Chromium, show and highlight each stage's numbers when its button
is clicked, readable in light and dark.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from docs_support import run_chromium

import layerkit as lk
from layerkit.cli.render import LINE_WIDTH, _value_lines
from layerkit.draw import draw
from layerkit.errors import ConfigurationError
from layerkit.explain import Explanation, explain, worked_example
from layerkit.explain_html import (
    FORWARD,
    GRADIENTS,
    HIDDEN_DELTA,
    LOSS,
    OUTPUT_DELTA,
    STAGES,
    UPDATE,
    explanation_html,
    explanation_page,
)

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture
def worked() -> Explanation:
    return explain(*worked_example())


class _Numbers(HTMLParser):
    """The numbers written on the drawing: (css kind, first stage, last stage, symbol, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.numbers: list[tuple[str, int, int, str, float]] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "data", "srcset", "poster"):
            if found.get(name):
                self.loads.append(f"{tag} {name}={found[name]}")
        classes = (found.get("class") or "").split()
        if tag == "text" and "lk-number" in classes:
            kind = next(c for c in classes if c not in ("lk-number",))
            self.numbers.append(
                (
                    kind,
                    int(found["data-first"] or ""),
                    int(found["data-last"] or ""),
                    found["data-symbol"] or "",
                    float(found["data-value"] or ""),
                )
            )


def numbers_of(page: str) -> _Numbers:
    parser = _Numbers()
    parser.feed(page)
    return parser


def values(page: str, kind: str, first: int) -> list[float]:
    return [v for k, f, _, _, v in numbers_of(page).numbers if k == kind and f == first]


# ------------------------------------------------------------------------------ the page
def test_page_is_self_contained(worked: Explanation) -> None:
    page = explanation_page(worked)
    assert numbers_of(page).loads == [], "the page loads a file"
    assert re.findall(r"https?://[^\s\"'<>)]+", page) == [SVG_NAMESPACE], "a URL besides SVG's"
    assert "url(" not in page and "@import" not in page and "<link" not in page
    assert "<script>" in page and "<style>" in page  # inlined, not referenced


def test_numbers_on_the_drawing_are_explains(worked: Explanation) -> None:
    page = explanation_page(worked)
    assert values(page, "lk-act", FORWARD) == [
        *worked["x"].value,
        *worked["h"].value,
        *worked["y"].value,
    ]
    assert values(page, "lk-delta", OUTPUT_DELTA) == list(worked["δ⁽²⁾"].value)
    assert values(page, "lk-delta", HIDDEN_DELTA) == list(worked["δ⁽¹⁾"].value)
    assert values(page, "lk-loss-gradient", LOSS) == list(worked["∂L/∂y"].value)
    assert values(page, "lk-loss", LOSS) == [worked.loss]
    # Weights are labelled sender by sender: w₁₁ w₁₂ w₁₃ w₂₁ …, then u₁₁ …
    assert values(page, "lk-weight", FORWARD) == [
        *worked["w"].value.ravel(),
        *worked["u"].value.ravel(),
    ]
    assert values(page, "lk-weight", GRADIENTS) == [
        *worked["∂L/∂w"].value.ravel(),
        *worked["∂L/∂u"].value.ravel(),
    ]
    updated = [worked[s].value - 0.5 * worked[f"∂L/∂{s}"].value for s in ("w", "u")]
    np.testing.assert_allclose(
        values(page, "lk-weight", UPDATE), np.concatenate([u.ravel() for u in updated]), rtol=0
    )


def test_panels_print_the_text_traces_formulas_and_values(worked: Explanation) -> None:
    page = explanation_page(worked)
    for step in worked:
        assert step.formula in page, step.symbol
        for line in _value_lines(step.value, 6, LINE_WIDTH):
            assert line in page, (step.symbol, line)
    assert "w ← w − η ∂L/∂w, η = 0.5" in page


def test_without_its_script_the_page_shows_the_forward_stage(worked: Explanation) -> None:
    """An untrusted notebook output runs no script: the first stage is written as shown."""
    page = explanation_html(worked)
    shown = re.findall(r'class="lk-number [\w-]+ lk-shown lk-current"[^>]*data-first="(\d)"', page)
    assert shown and set(shown) == {str(FORWARD)}
    assert len(shown) == len(values(page, "lk-act", FORWARD) + values(page, "lk-weight", FORWARD))
    assert re.findall(r'data-stage="(\d)" class="lk-active"', page) == [str(FORWARD)]
    assert len(re.findall(r'<section class="lk-panel" data-stage="\d">', page)) == 1


def test_learning_rate_sets_the_update(worked: Explanation) -> None:
    page = explanation_html(worked, learning_rate=0.1)
    expected = worked["u"].value - 0.1 * worked["∂L/∂u"].value
    np.testing.assert_allclose(values(page, "lk-weight", UPDATE)[6:], expected.ravel(), rtol=0)
    assert "η = 0.1" in page


def test_big_layers_are_summarised() -> None:
    net = lk.mlp([40, 30, 3], seed=1)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=40)
    page = explanation_html(explain(net, x, rng.uniform(size=3)))
    shown = values(page, "lk-act", FORWARD)
    assert len(shown) == 10 + 10 + 3  # the 5 first and 5 last of 40 and of 30; 3 outputs
    assert shown[:10] == [*x[:5], *x[-5:]]
    assert "inputs (40 units)" in page and "⋮" in page
    assert values(page, "lk-weight", FORWARD) == []  # 1200 connections: no labels
    assert "first row [" in page  # the panel summarises W as the text trace does


def test_fragments_on_one_page_have_their_own_ids(worked: Explanation) -> None:
    ids = {re.search(r'id="(lk-explain-[0-9a-f]+)"', explanation_html(worked))[1] for _ in range(3)}
    assert len(ids) == 3


def test_a_docs_page_can_embed_the_fragment_as_it_is(worked: Explanation) -> None:
    """A docs hook pastes the fragment into a page's Markdown: it must come out unchanged."""
    markdown = pytest.importorskip("markdown")
    fragment = explanation_html(worked)
    page = markdown.markdown(
        f"# The worked example\n\nSome *text*.\n\n{fragment}\n\nAfter.",
        extensions=["attr_list", "md_in_html", "tables", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    assert fragment in page


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"max_units": 2}, "max_units of at least 3"),
        ({"precision": 0}, "precision"),
    ],
)
def test_bad_options_are_refused(worked: Explanation, options: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        explanation_html(worked, **options)


# --------------------------------------------------------------------------------- reprs
def test_layers_display_as_their_diagram_and_keep_their_text_repr() -> None:
    net, _, _ = worked_example()
    assert net._repr_svg_() == draw(net)
    assert net[0]._repr_svg_() == draw(net[0])
    assert lk.Sigmoid()._repr_svg_() is None  # an activation alone: the text repr
    assert repr(net) == (
        "Sequential(\n  (0): Dense(2→3)\n  (1): Sigmoid()\n  (2): Dense(3→2)\n  (3): Sigmoid()\n)"
    )


def test_an_explanation_displays_as_its_drawing(worked: Explanation) -> None:
    html = worked._repr_html_()
    assert html.startswith('<div class="lk-explain"') and "<script>" in html
    assert repr(worked).startswith("Explanation(steps=(Step(phase='given', symbol='x'")


# ------------------------------------------------------------------------------- command
def test_explain_html_writes_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from layerkit.cli.commands import cli

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["explain", "--html", "pass.html", "--lr", "0.25"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "wrote pass.html (one pass through a 2-3-2 network, in 6 stages)\n"
    page = (tmp_path / "pass.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "η = 0.25" in page
    assert values(page, "lk-loss", LOSS) == [explain(*worked_example()).loss]
    for arguments, flag in (
        (["--html", "p.html", "--format", "json"], "--format"),
        (["--html", "p.html", "--full"], "--full"),
        (["--lr", "0.1"], "--lr"),
        (["--html", "missing/p.html"], "does not exist"),
    ):
        result = runner.invoke(cli, ["explain", *arguments])
        assert result.exit_code in (1, 2), arguments
        assert flag in result.stderr, (arguments, result.stderr)
        assert not (tmp_path / "p.html").exists()


# ------------------------------------------------------------------------------- browser
def _open(chromium: Path, page: Path, clicks: list[str], *flags: str) -> str:
    """The DOM after clicking the buttons ``clicks`` (CSS selectors) in order."""
    script = "".join(f"document.querySelector('{selector}').click();" for selector in clicks)
    probe = (
        "<script>"
        + script
        + "var root = document.querySelector('.lk-explain');"
        + "var style = getComputedStyle(root);"
        + "root.setAttribute('data-colours', style.color + ';' + style.backgroundColor);"
        + "</script>"
    )
    copy = page.with_name(f"{page.stem}-{len(clicks)}-{abs(hash(tuple(clicks)))}.html")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", probe + "</body>"))
    return run_chromium(chromium, *flags, "--dump-dom", copy.as_uri()).stdout


def _shown(dom: str, current: bool) -> list[str]:
    """The symbols of the numbers the DOM shows (or shows highlighted)."""
    wanted = "lk-shown lk-current" if current else "lk-shown"
    return re.findall(rf'class="lk-number [\w-]+ {wanted}[^"]*"[^>]*data-symbol="([^"]+)"', dom)


def _visible_panel(dom: str) -> str:
    panels = re.findall(r'<section class="lk-panel" data-stage="(\d+)"( hidden="")?>', dom)
    visible = [stage for stage, hidden in panels if not hidden]
    assert len(visible) == 1, panels
    start = dom.index(f'<section class="lk-panel" data-stage="{visible[0]}">')
    return dom[start : dom.index("</section>", start)]


WEIGHTS = [f"w{i}{j}" for i in "₁₂" for j in "₁₂₃"] + [f"u{j}{k}" for j in "₁₂₃" for k in "₁₂"]
EXPECTED_CURRENT = {
    # The weights are given: they are on the lines from the first stage.
    FORWARD: [*WEIGHTS, "x₁", "x₂", "h₁", "h₂", "h₃", "y₁", "y₂"],
    LOSS: ["∂L/∂y₁", "∂L/∂y₂", "L"],
    OUTPUT_DELTA: ["δ₁", "δ₂"],
    HIDDEN_DELTA: ["δ₁", "δ₂", "δ₃"],
    GRADIENTS: [f"∂L/∂{weight}" for weight in WEIGHTS],
    UPDATE: WEIGHTS,
}
PANEL_TEXT = {
    FORWARD: ["hⱼ = σ(a⁽¹⁾ⱼ)", "[0.59327, 0.584798, 0.576275]"],
    LOSS: ["L = ½ Σₖ (yₖ − tₖ)²", "0.319732", "[0.706585, -0.374434]"],
    OUTPUT_DELTA: ["δ⁽²⁾ₖ = (yₖ − tₖ) yₖ(1 − yₖ)", "[0.143501, -0.0886079]"],
    HIDDEN_DELTA: ["δ⁽¹⁾ⱼ = hⱼ(1 − hⱼ) Σₖ δ⁽²⁾ₖ uⱼₖ", "[0.0245413, 0.00384638, -0.023494]"],
    GRADIENTS: ["∂L/∂uⱼₖ = hⱼ δ⁽²⁾ₖ", "0.0851348, -0.0525684"],
    UPDATE: ["u ← u − η ∂L/∂u, η = 0.5", "0.357433, -0.473716"],
}


@pytest.mark.browser
@pytest.mark.parametrize("stage", range(len(STAGES)), ids=list(STAGES))
def test_each_stage_shows_and_highlights_its_numbers(
    chromium: Path, tmp_path: Path, stage: int
) -> None:
    page = tmp_path / "pass.html"
    page.write_text(explanation_page(explain(*worked_example())), encoding="utf-8")
    # The ▶ button, pressed `stage` times, from the first stage.
    dom = _open(chromium, page, ["button.lk-next"] * stage)
    assert _shown(dom, current=True) == EXPECTED_CURRENT[stage]
    shown = _shown(dom, current=False)
    assert ("L" in shown) == (stage >= LOSS)
    assert (shown.count("δ₁") == 2) == (stage >= HIDDEN_DELTA)
    panel = _visible_panel(dom)
    assert f"{stage + 1}. {STAGES[stage]}" in panel
    for text in PANEL_TEXT[stage]:
        assert text in panel, (stage, text)
    active = re.findall(r'<button type="button" data-stage="(\d)"[^>]* class="lk-active"', dom)
    assert active == [str(stage)]


@pytest.mark.browser
def test_a_stage_button_jumps_to_its_stage(chromium: Path, tmp_path: Path) -> None:
    page = tmp_path / "pass.html"
    page.write_text(explanation_page(explain(*worked_example())), encoding="utf-8")
    dom = _open(chromium, page, ['button[data-stage="3"]', "button.lk-previous"])
    assert _shown(dom, current=True) == EXPECTED_CURRENT[OUTPUT_DELTA]


def _contrast(rgb_a: str, rgb_b: str) -> float:
    def luminance(rgb: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(rgb_a), luminance(rgb_b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("scheme", "flags", "host", "dark"),
    [
        ("light", (), "", False),
        ("dark", ("--force-dark-mode",), "", True),
        # A host page's own scheme wins: MkDocs Material's toggle, JupyterLab's theme.
        ("material-slate", (), ' data-md-color-scheme="slate"', True),
        ("material-default", ("--force-dark-mode",), ' data-md-color-scheme="default"', False),
        ("jupyterlab-dark", (), ' data-jp-theme-light="false"', True),
    ],
)
def test_light_and_dark_are_readable(
    chromium: Path,
    tmp_path: Path,
    artifacts: Path,
    scheme: str,
    flags: tuple[str, ...],
    host: str,
    dark: bool,
) -> None:
    page = tmp_path / "pass.html"
    html = explanation_page(explain(*worked_example())).replace("<body>", f"<body{host}>")
    page.write_text(html, encoding="utf-8")
    dom = _open(chromium, page, ["button.lk-next"] * HIDDEN_DELTA, *flags)
    colour, background = re.search(r'data-colours="([^;]+);([^"]+)"', dom).groups()
    darker = _contrast(background, "rgb(0, 0, 0)") < _contrast(background, "rgb(255, 255, 255)")
    assert darker == dark, background
    assert _contrast(colour, background) >= 7, (colour, background)
    if host:
        return
    screenshot = artifacts / f"explain-html-{scheme}.png"
    screenshot.unlink(missing_ok=True)
    run_chromium(
        chromium,
        *flags,
        f"--screenshot={screenshot}",
        "--window-size=1100,800",
        "--hide-scrollbars",
        page.as_uri() + f"#stage={GRADIENTS}",
    )
    assert screenshot.stat().st_size > 50_000, f"{screenshot} looks blank"
