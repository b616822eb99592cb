"""The documentation keeps up with the code: reference coverage, generated numbers, hook list.

- every public name of layerkit has an API-reference entry, so a new name without docs fails;
- the worked example's numbers, which a MkDocs hook computes with layerkit at build time, agree
  with the closed-form formulas of the derivation, computed here with plain NumPy;
- the loss-curve plot, drawn by another hook, shows every training history inside its axes;
- the plugin guide lists exactly the hooks that ``layerkit/hookspecs.py`` declares;
- the built site has the API reference and the generated content in its pages, and (marked
  ``browser``, like ``test_docs_site.py``, whose helpers these tests reuse) KaTeX renders every
  formula of the pages whose math is generated.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import numpy as np
import pytest
from docs_support import assert_math_rendered, load_hook, reference_sections, run_chromium

import layerkit
from layerkit import hookspecs

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs"
REFERENCE = DOCS / "reference"

# Modules documented as a whole, besides the public submodules in layerkit.__all__.
DOCUMENTED_MODULES = {"layerkit.testing", "layerkit.hookspecs", "layerkit.registry"}


# ------------------------------------------------------------------------- API reference
def _directives() -> dict[str, Path]:
    """Every ``::: identifier`` under docs/reference/, with the page it is on."""
    found = {}
    for page in sorted(REFERENCE.rglob("*.md")):
        for target in re.findall(r"^:::\s+(\S+)", page.read_text(encoding="utf-8"), re.M):
            found[target] = page
    return found


def _resolve_like_griffe(path: str) -> object:
    """Return the object a mkdocstrings identifier documents.

    Griffe, which mkdocstrings uses, gives a submodule precedence over a package attribute of
    the same name: ``::: layerkit.loss`` documents the module ``layerkit/loss.py``, not the
    function ``layerkit.loss`` that Python finds. Resolve the same way.
    """
    parts = path.split(".")
    obj: object = importlib.import_module(parts[0])
    for depth, part in enumerate(parts[1:], start=2):
        dotted = ".".join(parts[:depth])
        if hasattr(obj, "__path__") and importlib.util.find_spec(dotted) is not None:
            obj = importlib.import_module(dotted)
        else:
            obj = getattr(obj, part)
    return obj


def test_every_public_name_has_a_reference_entry() -> None:
    documented = [_resolve_like_griffe(target) for target in _directives()]
    missing = []
    for name in layerkit.__all__:
        obj = getattr(layerkit, name)
        if name == "__version__" or inspect.ismodule(obj):
            continue
        if not any(entry is obj for entry in documented):
            missing.append(name)
    assert not missing, (
        f"public names without an API reference entry: {missing}. Add `::: layerkit.<name>` "
        f"to a page under docs/reference/ (or `::: layerkit.<module>.<name>` when a submodule "
        f"has the same name, as for `layerkit.loss`), and the page to the nav in mkdocs.yml."
    )


def test_public_modules_have_a_reference_page() -> None:
    public_submodules = {
        f"layerkit.{name}" for name in layerkit.__all__ if inspect.ismodule(getattr(layerkit, name))
    }
    missing = (public_submodules | DOCUMENTED_MODULES) - set(_directives())
    assert not missing, f"modules without a `::: module` entry under docs/reference/: {missing}"


def test_reference_pages_are_in_the_nav() -> None:
    nav = (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {page.relative_to(DOCS).as_posix() for page in REFERENCE.rglob("*.md")}
    assert {page for page in pages if page not in nav} == set()


# ------------------------------------------------------------------------ worked example
def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _closed_forms(hook: ModuleType) -> dict[str, object]:
    """The derivation's formulas for one sample, written out with NumPy alone."""
    x, t = np.array(hook.GIVEN["x"]), np.array(hook.GIVEN["t"])
    w, b1, u, b2 = (np.array(hook.GIVEN[name]) for name in ("w", "b1", "u", "b2"))
    eta = hook.LEARNING_RATE

    def forward(w, b1, u, b2):
        a1 = x @ w + b1
        h = _sigmoid(a1)
        a2 = h @ u + b2
        y = _sigmoid(a2)
        return a1, h, a2, y, 0.5 * np.sum((y - t) ** 2)

    a1, h, a2, y, loss = forward(w, b1, u, b2)
    delta2 = (y - t) * y * (1 - y)  # δ⁽²⁾ₖ = (yₖ − tₖ) yₖ (1 − yₖ)
    dL_dh = u @ delta2  # Σₖ δ⁽²⁾ₖ uⱼₖ
    delta1 = h * (1 - h) * dL_dh  # δ⁽¹⁾ⱼ = hⱼ (1 − hⱼ) Σₖ δ⁽²⁾ₖ uⱼₖ
    grad_u, grad_b2 = np.outer(h, delta2), delta2  # ∂L/∂uⱼₖ = δ⁽²⁾ₖ hⱼ
    grad_w, grad_b1 = np.outer(x, delta1), delta1  # ∂L/∂wᵢⱼ = δ⁽¹⁾ⱼ xᵢ
    new = (w - eta * grad_w, b1 - eta * grad_b1, u - eta * grad_u, b2 - eta * grad_b2)
    return {
        "a1": a1,
        "h": h,
        "a2": a2,
        "y": y,
        "loss": loss,
        "dL_dy": y - t,
        "delta2": delta2,
        "grad_u": grad_u,
        "grad_b2": grad_b2,
        "dL_dh": dL_dh,
        "delta1": delta1,
        "grad_w": grad_w,
        "grad_b1": grad_b1,
        "new_w": new[0],
        "new_b1": new[1],
        "new_u": new[2],
        "new_b2": new[3],
        "new_loss": forward(*new)[4],
    }


def test_worked_example_numbers_match_the_closed_forms() -> None:
    hook = load_hook("worked_example")
    example = hook.compute()
    expected = _closed_forms(hook)
    for name, value in expected.items():
        np.testing.assert_allclose(
            getattr(example, name), value, rtol=1e-12, atol=1e-15, err_msg=name
        )
    assert example.new_loss < example.loss, "one SGD step should lower the loss of the sample"
    assert example.gradcheck_error < 1e-6


def test_worked_example_page_shows_those_numbers() -> None:
    hook = load_hook("worked_example")
    page = (DOCS / "math" / "worked-example.md").read_text(encoding="utf-8")
    assert hook.MARKER in page, "the worked-example page lost its marker"
    markdown = hook.on_page_markdown(page, page=None, config=None, files=None)
    assert hook.MARKER not in markdown
    for name, value in _closed_forms(hook).items():
        for entry in np.ravel(value):
            text = hook.number(entry)
            assert text in markdown, f"{name} = {text} does not appear on the page"


def test_derivation_page_has_the_labelled_network_figure() -> None:
    hook = load_hook("network_figure")
    page = (DOCS / "math" / "backpropagation.md").read_text(encoding="utf-8")
    assert hook.MARKER in page, "the derivation page lost its figure marker"
    markdown = hook.on_page_markdown(page, page=None, config=None, files=None)
    assert hook.MARKER not in markdown
    svg = re.search(r"<svg.*?</svg>", markdown, re.S)
    assert svg is not None, "no SVG where the marker was"
    labels = {t.text for t in ElementTree.fromstring(svg.group(0)).iter() if t.tag.endswith("text")}
    subscript = "₁₂₃"
    expected = {f"x{i}" for i in subscript[:2]} | {f"h{j}" for j in subscript}
    expected |= {f"y{k}" for k in subscript[:2]} | {f"t{k}" for k in subscript[:2]}
    expected |= {f"w{i}{j}" for i in subscript[:2] for j in subscript}
    expected |= {f"u{j}{k}" for j in subscript for k in subscript[:2]}
    expected |= {f"b⁽¹⁾{j}" for j in subscript} | {f"b⁽²⁾{k}" for k in subscript[:2]}
    assert expected <= labels, f"missing labels: {sorted(expected - labels)}"
    # The page crops the drawing's sides: every unit and label stays inside (a label's text
    # is centred on x, or starts there for the targets; 7 units a character is generous).
    root = ElementTree.fromstring(svg.group(0))
    left, _, width, _ = (float(v) for v in root.get("viewBox", "").split())
    assert left > 0, "the figure is not cropped"
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "circle":
            x, r = float(element.get("cx", 0)), float(element.get("r", 0))
            extent = (x - r, x + r)
        elif tag == "text":
            x, half = float(element.get("x", 0)), 3.5 * len(element.text or "")
            start = element.get("text-anchor") != "middle"
            extent = (x, x + 2 * half) if start else (x - half, x + half)
        else:
            continue
        assert left <= extent[0] and extent[1] <= left + width, (tag, element.text, extent)


def test_symbol_table_quotes_lines_that_are_in_the_source() -> None:
    hook = load_hook("symbol_table")
    page = (DOCS / "math" / "backpropagation.md").read_text(encoding="utf-8")
    assert hook.MARKER in page, "the derivation page lost its symbol-table marker"
    markdown = hook.on_page_markdown(page, page=None, config=None, files=None)
    for row in hook.ROWS:
        for line in hook.quoted(row):
            source = (REPO_ROOT / row.path).read_text(encoding="utf-8")
            assert line in source, f"{line!r} is not in {row.path}"
            assert f"`{line}`" in markdown, f"{line!r} is not on the page"
    symbols = {r"\delta^{(2)}", r"\delta^{(1)}", r"\partial L / \partial w", r"\eta"}
    assert all(any(symbol in row.symbol for row in hook.ROWS) for symbol in symbols)


def test_symbol_table_refuses_a_line_that_is_gone() -> None:
    hook = load_hook("symbol_table")
    gone = hook.Row("x", "`x`", "layerkit/dense.py", "backward", ("no such line",), "Dense")
    with pytest.raises(LookupError, match="no such line"):
        hook.quoted(gone)
    with pytest.raises(LookupError, match="no snippet section or method"):
        hook.place_lines("layerkit/dense.py", "Dense.no_such_method")


def test_one_lettering_on_the_derivation_the_worked_example_and_explain() -> None:
    """x_i, h_j, y_k, w_ij, u_jk everywhere; u_ij only where the page names the seed's."""
    from layerkit.explain import explain, worked_example

    derivation = (DOCS / "math" / "backpropagation.md").read_text(encoding="utf-8")
    assert derivation.count("u_{ij}") == 1, "u_{ij} is back in the derivation"
    assert "u_{jk}" in derivation and r"\delta^{(2)}_k" in derivation
    assert r"\delta^{(2)}_j" not in derivation and "y_j" not in derivation
    hook = load_hook("worked_example")
    worked = hook.render(hook.compute())
    assert "u_{jk}" in worked and "u_{ij}" not in worked and r"\delta^{(2)}_j" not in worked
    formulas = " ".join(step.formula for step in explain(*worked_example()))
    assert "uⱼₖ" in formulas and "uᵢⱼ" not in formulas and "yⱼ" not in formulas


def test_worked_example_reproduce_code_runs_and_agrees() -> None:
    hook = load_hook("worked_example")
    markdown = hook.render(hook.compute())
    blocks = re.findall(r"```python\n(.*?)```", markdown, re.S)
    assert len(blocks) == 1, "expected one code block in the generated worked example"
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(blocks[0], "worked-example", "exec"), namespace)
    expected = _closed_forms(hook)
    net = namespace["net"]
    np.testing.assert_allclose(net[0].dW, expected["grad_w"], rtol=1e-12)
    np.testing.assert_allclose(net[2].dW, expected["grad_u"], rtol=1e-12)
    np.testing.assert_allclose(net[0].W, expected["new_w"], rtol=1e-12)


# ---------------------------------------------------------------------------- loss curve
def test_loss_curve_plot_draws_each_history_inside_the_axes() -> None:
    hook = load_hook("loss_curve")
    curves = hook.histories()
    assert set(curves) == set(hook.LEARNING_RATES)
    for history in curves.values():
        assert len(history) == hook.EPOCHS and history[-1] < history[0]
    figure = hook.render(curves)
    svg = ElementTree.fromstring(figure[figure.index("<svg") : figure.index("</svg>") + 6])
    namespace = "{http://www.w3.org/2000/svg}"
    polylines = svg.findall(f"{namespace}polyline")
    assert len(polylines) == len(curves)
    for polyline in polylines:
        points = [tuple(map(float, p.split(","))) for p in polyline.get("points").split()]
        assert len(points) > 100
        xs, ys = zip(*points, strict=True)
        assert hook.LEFT <= min(xs) and max(xs) <= hook.WIDTH - hook.RIGHT
        assert hook.TOP <= min(ys) and max(ys) <= hook.HEIGHT - hook.BOTTOM


# ---------------------------------------------------------------------- plugin hook list
def _called(hook: str) -> str:
    """``register_losses(register)``: a hook as the guide writes it, with its arguments."""
    arguments = inspect.signature(getattr(hookspecs, hook)).parameters
    return f"{hook}({', '.join(arguments)})"


def test_plugin_guide_lists_exactly_the_hooks() -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    specs = {
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "layerkit_spec")
    }
    assert specs, "found no hookspecs in layerkit/hookspecs.py"
    undocumented = {name for name in specs if _called(name) not in text}
    assert not undocumented, f"docs/plugins.md does not document the hooks {undocumented}"
    mentioned = set(re.findall(r"\b(register_\w+)\(", text))
    unknown = mentioned - specs
    assert not unknown, f"docs/plugins.md mentions hooks that do not exist: {unknown}"


# ------------------------------------------------------------------------- the built site
def test_built_api_reference_documents_the_classes(site: Path) -> None:
    html = (site / "reference" / "layers" / "index.html").read_text(encoding="utf-8")
    assert "Dense" in html
    assert 'id="layerkit.Dense"' in html
    assert 'id="layerkit.Dense.backward"' in html


def test_built_worked_example_has_the_generated_numbers(site: Path) -> None:
    html = (site / "math" / "worked-example" / "index.html").read_text(encoding="utf-8")
    hook = load_hook("worked_example")
    assert "worked-example -->" not in html and "worked-example-drawing -->" not in html
    assert hook.number(hook.compute().new_loss) in html
    assert html.count('class="lk-explain"') == 1  # the step drawn, embedded whole
    assert html.count('class="arithmatex"') >= 15


def test_built_loss_curve_page_has_the_plot(site: Path) -> None:
    html = (site / "tutorials" / "loss-curve" / "index.html").read_text(encoding="utf-8")
    assert "loss-curve -->" not in html
    assert html.count("<polyline") == len(load_hook("loss_curve").LEARNING_RATES)


@pytest.mark.browser
@pytest.mark.parametrize(
    "page", ["math/worked-example/", "tutorials/classifier/", "reference/layers/"]
)
def test_generated_and_reference_math_renders_in_the_browser(
    chromium: Path, site_url: str, page: str
) -> None:
    dom = run_chromium(chromium, "--dump-dom", site_url + page).stdout
    formulas = assert_math_rendered(dom, page)
    if page == "math/worked-example/":
        assert formulas >= 15, "the worked example lost its generated formulas"
    if page == "reference/layers/":  # the API reference, as a reader's browser shows it
        assert 'id="layerkit.Dense"' in dom and "Dense" in dom


# ------------------------------------------------------------------- the command-line page
def _table_rows(html: str, first_header: str) -> list[list[str]]:
    """The body rows of the HTML table whose first header cell is ``first_header``, as text."""
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        headers = re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)
        if headers and re.sub(r"<[^>]+>", "", headers[0]).strip() == first_header:
            rows = re.findall(r"<tr>(.*?)</tr>", table.split("</thead>", 1)[-1], re.S)
            return [
                [
                    re.sub(r"<[^>]+>", "", cell).strip()
                    for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                ]
                for row in rows
            ]
    raise AssertionError(f"no table headed {first_header!r}")


def test_built_cli_page_shows_the_real_defaults(site: Path) -> None:
    from types import SimpleNamespace

    from layerkit.cli.data import BUILTIN
    from layerkit.cli.options import _Spec
    from layerkit.cli.train_defaults import choose

    html = (site / "cli" / "index.html").read_text(encoding="utf-8")
    assert "Sentinel" not in html and "N/A" not in html
    assert "cli-reference -->" not in html and "train-defaults -->" not in html
    # Every command has its options table, and an option with a default shows it.
    for command in ("train", "explain", "predict", "draw", "plugins", "check"):
        assert f'id="layerkit-{command}"' in html, f"no reference entry for layerkit {command}"
    seed_default = (
        r"<code>--seed</code></td>\s*<td>INTEGER RANGE</td>\s*<td>[^<]*</td>\s*<td>(.*?)</td>"
    )
    assert re.findall(seed_default, html) == ["<code>0</code>"] * 2, "explain and train seed from 0"
    # The defaults table is what train_defaults chooses, data set by data set.
    columns = [
        ("l2", "sigmoid"),
        ("l2", "softmax"),
        ("cross_entropy", "softmax"),
        ("l2", "none"),
        ("l1", "none"),
    ]
    rates, sizes = _table_rows(html, "data set"), _table_rows(html, "data")
    assert [row[0] for row in rates] == [*BUILTIN, "a data file"] == [row[0] for row in sizes]
    for rate_row, size_row in zip(rates, sizes, strict=True):
        data = rate_row[0]
        dataset = SimpleNamespace(name=data)
        chosen = [
            choose(dataset, data != "a data file", loss, _Spec(output, {}))  # type: ignore[arg-type]
            for loss, output in columns
        ]
        assert rate_row[1:] == [f"{d.lr:g}" for d in chosen], f"learning rates for {data}"
        first = chosen[0]
        expected = [str(first.epochs), str(first.batch_size), str(first.hidden)]
        assert size_row[1:] == expected, f"epochs, batch size and hidden width for {data}"


# ------------------------------------------------------------------------ docstring entries
NUMPYDOC_ENTRY_SECTIONS = {
    "Parameters",
    "Other Parameters",
    "Attributes",
    "Returns",
    "Yields",
    "Receives",
    "Raises",
    "Warns",
}
# "x, t" or "W, b : ndarray" on an entry line: griffe reads it as one name (or type), so the
# rendered entry gets another parameter's annotation.
_SEVERAL_NAMES = re.compile(r"^\w+(\s*,\s*\w+)+\s*(:.*)?$")


def _documented_objects() -> Iterator[tuple[str, object]]:
    """Every module, class, function and method of layerkit and its first-party plugins."""
    import pkgutil

    for package_name in (
        "layerkit",
        "layerkit_activations",
        "layerkit_losses",
        "layerkit_optimizers",
    ):
        package = importlib.import_module(package_name)
        names = [package_name] + [
            info.name for info in pkgutil.walk_packages(package.__path__, package_name + ".")
        ]
        for name in names:
            module = importlib.import_module(name)
            yield name, module
            for attribute, value in vars(module).items():
                if getattr(value, "__module__", None) != name:
                    continue
                if inspect.isclass(value):
                    yield f"{name}.{attribute}", value
                    for member, function in vars(value).items():
                        function = getattr(function, "__func__", function)
                        if isinstance(function, property):
                            function = function.fget
                        if inspect.isfunction(function):
                            yield f"{name}.{attribute}.{member}", function
                elif inspect.isfunction(value):
                    yield f"{name}.{attribute}", value


def several_names_entries(docstring: str) -> list[str]:
    """The entry lines of ``docstring``'s numpydoc sections that name more than one thing."""
    lines = inspect.cleandoc(docstring).splitlines()
    found, in_section = [], False
    for index, line in enumerate(lines):
        underline = index + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[index + 1].strip())
        if underline:
            in_section = line.strip() in NUMPYDOC_ENTRY_SECTIONS
        elif in_section and line and not line[0].isspace() and _SEVERAL_NAMES.match(line):
            found.append(line)
    return found


# An entry line of Parameters, Attributes, Raises, ...: a name, "name : type", or a dotted type.
_ENTRY = re.compile(r"^\*{0,2}[A-Za-z_][\w.]*(\s*:\s*.+)?$")


def stray_paragraphs(docstring: str) -> list[str]:
    """Lines at an entry's indentation in a numpydoc section that are not entries.

    "Input shape: any." after a Parameters or Raises section is read by griffe as one more
    entry (strict builds fail on a parameter named "Input"), or rendered as an exception.
    """
    lines = inspect.cleandoc(docstring).splitlines()
    found, section = [], None
    for index, line in enumerate(lines):
        if index + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[index + 1].strip()):
            section = line.strip()
        elif re.fullmatch(r"-{3,}", line.strip()) or not line or line[0].isspace():
            continue
        elif section in NUMPYDOC_ENTRY_SECTIONS:
            sentence = line.rstrip().endswith(".")
            if sentence or (section not in {"Returns", "Yields"} and not _ENTRY.match(line)):
                found.append(line)
    return found


def test_stray_paragraphs_are_found() -> None:
    docstring = """Summary.

    Parameters
    ----------
    slope : float
        The slope.

    Input shape: any.

    Returns
    -------
    tuple of (numpy.ndarray, list of str)
        Fine.
    The inputs and their names.
    """
    assert stray_paragraphs(docstring) == ["Input shape: any.", "The inputs and their names."]


def test_numpydoc_sections_hold_only_entries() -> None:
    offenders = [
        f"{where}: {line!r}"
        for where, obj in _documented_objects()
        for line in stray_paragraphs(inspect.getdoc(obj) or "")
    ]
    assert not offenders, (
        "text after a numpydoc Parameters/Raises/... section is read as one more entry; move "
        "it above the first section:\n" + "\n".join(offenders)
    )


# "Input shape: ..." then "Output shape: ..." on the next line: Markdown joins the two lines
# into one run-on paragraph.
_LABEL = re.compile(r"^[A-Z][a-z]+( [a-z]+)?: ")


def run_on_labels(docstring: str) -> list[str]:
    """Lines opening with a label ("Derivative: ") that continue the paragraph above them."""
    lines = inspect.cleandoc(docstring).splitlines()
    return [
        line
        for above, line in itertools.pairwise(lines)
        if _LABEL.match(line) and above.strip() and not above[0].isspace()
    ]


def test_labelled_lines_start_their_own_paragraph() -> None:
    assert run_on_labels("S.\n\nInput shape: any.\nOutput shape: same.\n") == [
        "Output shape: same."
    ]
    offenders = [
        f"{where}: {line!r}"
        for where, obj in _documented_objects()
        for line in run_on_labels(inspect.getdoc(obj) or "")
    ]
    assert not offenders, "labelled lines run on into the paragraph above:\n" + "\n".join(offenders)


def test_rest_literal_blocks_are_not_left_in_docstrings() -> None:
    offenders = [
        where
        for where, obj in _documented_objects()
        if re.search(r"::\n\s*\n", inspect.getdoc(obj) or "")
    ]
    assert not offenders, (
        "reST '::' literal blocks render with a stray '::' on the site; use a ```python "
        f"fence (it runs as a test): {offenders}"
    )


def test_several_names_entries_are_found() -> None:
    docstring = """Summary.

    Parameters
    ----------
    x, t
        Two in one.
    loss
        Alone, with ``a, b`` in its text.

    Raises
    ------
    ShapeError, DTypeError
        Two in one.
    """
    assert several_names_entries(docstring) == ["x, t", "ShapeError, DTypeError"]


def test_numpydoc_entries_name_one_parameter_each() -> None:
    offenders = [
        f"{where}: {line!r}"
        for where, obj in _documented_objects()
        for line in several_names_entries(inspect.getdoc(obj) or "")
    ]
    assert not offenders, (
        "numpydoc entries naming several parameters (or exceptions) render with one "
        "annotation for all of them; give each its own entry:\n" + "\n".join(offenders)
    )


# ------------------------------------------------------------------- constructor signatures
def _signature_text(html: str, identifier: str) -> str:
    """The text of the rendered signature under the heading ``identifier``, or ''."""
    heading = html.find(f'id="{identifier}"')
    if heading < 0:
        return ""
    match = re.search(r'<div class="doc-signature highlight">(.*?)</pre>', html[heading:], re.S)
    if not match or match.start() > 2000:
        return ""
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("&quot;", '"')


def test_built_class_entries_show_the_constructor_signature(site: Path) -> None:
    checked, missing = 0, []
    for target, page in _directives().items():
        obj = _resolve_like_griffe(target)
        if not inspect.isclass(obj) or "__init__" not in vars(obj):
            continue
        parameters = list(inspect.signature(obj).parameters.values())
        built = site / "reference" / page.stem / "index.html"
        text = _signature_text(built.read_text(encoding="utf-8"), target)
        expected = [p.name for p in parameters if p.kind is not p.VAR_KEYWORD]
        if any(p.kind is p.KEYWORD_ONLY for p in parameters) and not any(
            p.kind is p.VAR_POSITIONAL for p in parameters
        ):
            expected.append("*,")  # the keyword-only marker
        absent = [name for name in expected if not re.search(rf"(?<!\w){re.escape(name)}", text)]
        if not text or absent:
            missing.append(f"{target}: {absent or 'no signature'}")
        checked += 1
    assert checked >= 5, f"checked only {checked} classes with a constructor"
    assert not missing, "class entries without their constructor's signature:\n" + "\n".join(
        missing
    )


# ------------------------------------------------------------- first-party component pages
FIRST_PARTY = {None, "layerkit-activations", "layerkit-losses"}  # layerkit's own, its plugins


@pytest.mark.parametrize(
    "component",
    [
        c
        for c in [*layerkit.activations().values(), *layerkit.losses().values()]
        if c.distribution in FIRST_PARTY
    ],
    ids=lambda component: component.name,
)
def test_every_first_party_component_has_a_reference_section(component: layerkit.Component) -> None:
    page = REFERENCE / ("activations.md" if component.kind == "activation" else "losses.md")
    section = reference_sections(page).get(component.name)
    assert section is not None, f"{page.name} has no section ## `{component.name}`"
    assert section.count("$$") >= 2, f"the {component.name} section shows no formula"
    entries = re.findall(r"^:::\s+(\S+)", section, re.M) + re.findall(r"\]\[([\w.]+)\]", section)
    assert any(_resolve_like_griffe(entry) is component.cls for entry in entries), (
        f"the {component.name} section neither documents nor links {component.cls.__name__}"
    )
    options = [name for name in inspect.signature(component.cls).parameters if name != "self"]
    unnamed = [name for name in options if f"`{name}`" not in section]
    assert not unnamed, f"the {component.name} section does not name its options {unnamed}"


def test_plugin_guide_loss_uses_the_public_batch_helpers() -> None:
    guide = (DOCS / "plugins.md").read_text(encoding="utf-8")
    start = guide.index("class LogCosh")
    loss = guide[start : guide.index("@layerkit.hookimpl", start)]
    assert "self.batch_scale(y)" in loss and "self.reduce(" in loss
    assert "len(y)" not in loss, "the guide's loss re-implements the batch scale"


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\t]")
"""Control characters (tabs too): in a text source they are an escape gone wrong, as when
"\\frac" or "\\beta" is written into a Python string that is not raw and becomes \\f or \\b."""


def test_no_text_source_holds_control_characters():
    suffixes = {".md", ".py", ".yml", ".toml", ".txt", ".css", ".js", ".html", ".cfg"}
    skipped = {".venv", "site", ".git", "node_modules", "vendor", "__pycache__"}
    found = []
    for path in REPO_ROOT.rglob("*"):
        if path.suffix not in suffixes or skipped & set(path.relative_to(REPO_ROOT).parts):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            if CONTROL.search(line):
                found.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()[:60]!r}")
    assert not found, "control characters (an escape gone wrong?):\n" + "\n".join(found)


FENCE_WITH_LOOSE_OPTIONS = re.compile(r"^\s*(`{3,}|~{3,})\s*[\w.+-]+\s+\S")


def test_code_fences_give_options_in_braces():
    """A fence such as ```python notest is not a code block for Markdown: the page shows its
    code as one line of text. Options go in braces: ```{.python notest}."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        if "vendor" in page.relative_to(DOCS).parts:
            continue
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if FENCE_WITH_LOOSE_OPTIONS.match(line):
                found.append(f"{page.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert not found, "fences with options outside braces:\n" + "\n".join(found)
    assert FENCE_WITH_LOOSE_OPTIONS.match("```python notest")
    assert not FENCE_WITH_LOOSE_OPTIONS.match("```{.python notest}")
    assert not FENCE_WITH_LOOSE_OPTIONS.match("```python")
