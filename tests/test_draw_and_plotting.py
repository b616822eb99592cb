"""`layerkit.draw` (hand-written SVG) and `layerkit.plotting` (PNG through matplotlib's Agg)."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import layerkit as lk
from layerkit import plotting
from layerkit.draw import LABEL_LIMIT, draw
from layerkit.errors import ConfigurationError, MissingDependencyError, ShapeError

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_the_derivations_network():
    root = parse(draw([2, 3, 2]))
    assert len(root.findall(f"{SVG}circle")) == 7
    assert len(root.findall(f"{SVG}line")) == 6 + 6
    labels = texts(root)
    assert [f"w{i}{j}" for i in "₁₂" for j in "₁₂₃"] == [t for t in labels if t.startswith("w")]
    assert [f"u{j}{k}" for j in "₁₂₃" for k in "₁₂"] == [t for t in labels if t.startswith("u")]
    assert {"inputs", "x", "hidden", "h = σ(a⁽¹⁾)", "outputs", "y = σ(a⁽²⁾)"} <= set(labels)


def test_biases_and_targets_are_labelled_on_request():
    plain = texts(parse(draw([2, 3, 2])))
    assert not any(t.startswith(("b", "t")) for t in plain)
    labels = texts(parse(draw([2, 3, 2], biases=True, targets=True)))
    assert [t for t in labels if t.startswith("b")] == [
        *(f"b⁽¹⁾{j}" for j in "₁₂₃"),
        *(f"b⁽²⁾{k}" for k in "₁₂"),
    ]
    assert [t for t in labels if t.startswith("t")] == ["t₁", "t₂"]


def test_the_drawing_has_classes_a_dark_theme_can_restyle():
    root = parse(draw(lk.Sequential(lk.Dense(2, 2, W=[[1.0, -1.0], [1.0, 1.0]]), lk.Sigmoid())))
    assert "lk-network" in root.get("class", "").split()
    background = root.find(f"{SVG}rect")
    assert background is not None and background.get("class") == "lk-background"
    classes = [line.get("class") for line in root.iter(f"{SVG}line")]
    assert sorted(classes) == ["lk-negative", "lk-positive", "lk-positive", "lk-positive"]
    # Every text outside a unit's pale circle takes the theme's colour (class lk-text).
    circled = {"x₁", "x₂", "y₁", "y₂"}
    for text in root.iter(f"{SVG}text"):
        assert (text.text in circled) != ("lk-text" in (text.get("class") or "")), text.text


def test_deeper_networks_number_their_layers():
    labels = texts(parse(draw([2, 3, 3, 1], activation="tanh", output=None)))
    assert {"h⁽¹⁾ = tanh(a⁽¹⁾)", "h⁽²⁾ = tanh(a⁽²⁾)", "y = a⁽³⁾"} <= set(labels)
    assert "w⁽²⁾₃₁" in labels and "w⁽³⁾₂₁" in labels and "h⁽²⁾₃" in labels


def test_labels_are_omitted_above_the_limit_and_big_layers_are_elided():
    assert LABEL_LIMIT == 16
    assert any(t.startswith("w") for t in texts(parse(draw([4, 4, 2]))))
    assert not any(t.startswith("w") for t in texts(parse(draw([4, 5, 2]))))
    assert any(t.startswith("w") for t in texts(parse(draw([4, 5, 2], labels=True))))
    root = parse(draw([3, 100, 2], max_units=8))
    assert len(root.findall(f"{SVG}circle")) == 3 + 6 + 2
    labels = texts(root)
    assert "⋮" in labels and "hidden (100 units)" in labels and "h₁₀₀" in labels


def test_a_model_colours_its_weights():
    net = lk.Sequential(
        lk.Dense(2, 2, W=[[1.0, -2.0], [0.5, -0.5]], b=[0, 0]), lk.Sigmoid(), lk.Dense(2, 1)
    )
    root = parse(draw(net))
    lines = root.findall(f"{SVG}line")
    strokes = [line.get("stroke") for line in lines[:4]]
    assert strokes == ["#2b6cb0", "#c53030", "#2b6cb0", "#c53030"]
    widths = [float(line.get("stroke-width")) for line in lines[:4]]
    assert widths[1] == max(widths)  # |−2| is the largest weight
    assert "y = a⁽²⁾" in texts(root)


@pytest.mark.parametrize("bad", [[2], "2,3", [2, 0, 1], [2.5, 3]])
def test_bad_sizes(bad):
    with pytest.raises(ConfigurationError):
        draw(bad)


@pytest.mark.guarantee("errors")
def test_a_model_of_another_structure_is_refused_by_draw_by_name():
    # The message said "explain expects ...", although explain was not called.
    with pytest.raises(ConfigurationError, match=r"^draw expects Dense layers"):
        draw(lk.Sequential(lk.Sigmoid(), lk.Dense(2, 2)))


# -------------------------------------------------------------------------------- plots
@pytest.fixture
def matplotlib():
    return pytest.importorskip("matplotlib")


def test_loss_curve_png(tmp_path, matplotlib):
    path = plotting.plot_loss([0.3, 0.2, 0.05, 0.01], tmp_path / "loss.png")
    assert path.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ShapeError):
        plotting.plot_loss([], tmp_path / "empty.png")


def test_decision_boundary_for_classes_and_for_bits(tmp_path, matplotlib):
    x, labels = lk.datasets.blobs(samples=30, seed=0)
    net = lk.mlp([2, 4, 3], seed=0)
    plotting.plot_decision_boundary(net, x, tmp_path / "classes.png", labels=labels, resolution=40)
    x, t = lk.datasets.half_adder()
    plotting.plot_decision_boundary(
        lk.mlp([2, 3, 2], seed=0), x, tmp_path / "bits.png", targets=t, output_names=["s", "c"]
    )
    for name in ("classes.png", "bits.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ShapeError, match="two input features"):
        plotting.plot_decision_boundary(
            lk.mlp([3, 2]), np.ones((4, 3)), tmp_path / "x.png", labels=[0, 1, 0, 1]
        )
    with pytest.raises(ConfigurationError, match="either labels or targets"):
        plotting.plot_decision_boundary(net, x, tmp_path / "x.png")


def test_plotting_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    # the index has matplotlib; it has no "layerkit[plot]" (layerkit is installed from a clone)
    command = f"{sys.executable} -m pip install matplotlib"
    with pytest.raises(MissingDependencyError, match=re.escape(command)):
        plotting.plot_loss([1.0], tmp_path / "loss.png")
    assert not (tmp_path / "loss.png").exists()


def test_boundary_path():
    assert plotting.boundary_path("a/loss.png").as_posix() == "a/loss-boundary.png"
    assert plotting.boundary_path("curve").as_posix() == "curve-boundary.png"
