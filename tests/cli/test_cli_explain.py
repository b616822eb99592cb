"""`layerkit explain`: the numbers are the library's gradients, in text, Markdown and JSON."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import layerkit as lk
from layerkit.explain import WORKED_EXAMPLE, worked_example

from .cli_support import assert_one_line_error


def library_gradients(model, x, t, loss=None):
    """∂L/∂θ of every parameter from Sequential's own forward and backward on one sample."""
    model = copy.deepcopy(model)
    loss = loss or lk.L2Loss()
    loss.forward(model.forward(np.atleast_2d(x)), np.atleast_2d(t))
    model.backward(loss.backward())
    return {p.name: p.grad.copy() for p in model.parameters()}


def steps(run) -> dict[str, np.ndarray]:
    assert run.code == 0, run.err
    document = json.loads(run.out)
    return {step["symbol"]: np.array(step["value"]) for step in document["steps"]}


def test_default_is_the_worked_example_in_its_notation(layerkit):
    run = layerkit("explain")
    assert run.code == 0, run.err
    text = run.out
    for formula in (
        "a⁽¹⁾ⱼ = Σᵢ xᵢ wᵢⱼ + b⁽¹⁾ⱼ",
        "hⱼ = σ(a⁽¹⁾ⱼ)",
        "yₖ = σ(a⁽²⁾ₖ)",
        "δ⁽²⁾ₖ = (yₖ − tₖ) yₖ(1 − yₖ)",
        "δ⁽¹⁾ⱼ = hⱼ(1 − hⱼ) Σₖ δ⁽²⁾ₖ uⱼₖ",
        "∂L/∂uⱼₖ = hⱼ δ⁽²⁾ₖ",
        "∂L/∂wᵢⱼ = xᵢ δ⁽¹⁾ⱼ",
    ):
        assert formula in text
    assert "[0.05, 0.1]" in text and "[0.01, 0.99]" in text
    assert "[0.3775, 0.3425, 0.3075]" in text  # a⁽¹⁾ = x w + b⁽¹⁾, by hand
    assert text.index("Forward pass") < text.index("Backward pass")


def test_json_equals_the_library_gradients_and_closed_forms(layerkit):
    values = steps(layerkit("explain", "--format", "json"))
    net, x, t = worked_example()
    gradients = library_gradients(net, x, t)
    assert np.array_equal(values["∂L/∂w"], gradients["0.W"])
    assert np.array_equal(values["∂L/∂b⁽¹⁾"], gradients["0.b"])
    assert np.array_equal(values["∂L/∂u"], gradients["2.W"])
    assert np.array_equal(values["∂L/∂b⁽²⁾"], gradients["2.b"])
    # The derivation's closed forms.
    w, b1, u, b2 = (np.array(WORKED_EXAMPLE[name]) for name in ("w", "b1", "u", "b2"))
    h = 1 / (1 + np.exp(-(x @ w + b1)))
    y = 1 / (1 + np.exp(-(h @ u + b2)))
    delta2 = (y - t) * y * (1 - y)
    delta1 = h * (1 - h) * (u @ delta2)
    np.testing.assert_allclose(values["δ⁽²⁾"], delta2, rtol=1e-12)
    np.testing.assert_allclose(values["δ⁽¹⁾"], delta1, rtol=1e-12)
    np.testing.assert_allclose(values["∂L/∂u"], np.outer(h, delta2), rtol=1e-12)
    np.testing.assert_allclose(values["∂L/∂w"], np.outer(x, delta1), rtol=1e-12)


def test_markdown_is_a_table_per_phase(layerkit):
    run = layerkit("explain", "--format", "markdown")
    assert run.code == 0, run.err
    assert run.out.count("| formula | value | computed by |") == 3
    assert "`Sigmoid.backward`" in run.out and "`Dense.backward of layer 0 → dW`" in run.out


def test_any_depth_and_registered_activation(layerkit, runtime_plugin):
    from .cli_support import Cube

    runtime_plugin("cubes", cube=Cube)
    run = layerkit(
        "explain", "--layers", "2,4,3,2", "--activation", "cube", "--seed", "5",
        "--input", "0.3,-0.2", "--target", "0.1,0.9", "--format", "json",
    )  # fmt: skip
    values = steps(run)
    net = lk.mlp([2, 4, 3, 2], "cube", seed=5)
    gradients = library_gradients(net, np.array([0.3, -0.2]), np.array([0.1, 0.9]))
    for layer, position in ((1, 0), (2, 2), (3, 4)):
        assert np.array_equal(values[f"∂L/∂W⁽{'¹²³'[layer - 1]}⁾"], gradients[f"{position}.W"])
    text = layerkit("explain", "--layers", "2,4,3,2", "--activation", "cube").out
    assert "δ⁽¹⁾ = φ'(a⁽¹⁾) ⊙ (δ⁽²⁾ W⁽²⁾ᵀ), φ = cube" in text


def test_saved_model_with_input_and_target(layerkit, tmp_path):
    net = lk.mlp([2, 3, 2], seed=4)
    lk.serialization.save(net, tmp_path / "m.npz")
    values = steps(
        layerkit(
            "explain", "--model", "m.npz", "--input", "0.05,0.1", "--target", "0.01,0.99",
            "--format", "json",
        )
    )  # fmt: skip
    gradients = library_gradients(net, np.array([0.05, 0.1]), np.array([0.01, 0.99]))
    assert np.array_equal(values["∂L/∂w"], gradients["0.W"])
    assert np.array_equal(values["x"], [0.05, 0.1])


def test_class_label_target_with_cross_entropy(layerkit):
    if "cross_entropy" not in lk.losses() or "softmax" not in lk.activations():
        pytest.skip("the first-party plugins are not installed")
    run = layerkit(
        "explain", "--layers", "2,3,3", "--output-activation", "softmax", "--loss", "cross_entropy",
        "--target", "2", "--format", "json",
    )  # fmt: skip
    values = steps(run)
    assert values["t"].tolist() == 2  # the label itself, which cross_entropy accepts
    formulas = {step["symbol"]: step["formula"] for step in json.loads(run.out)["steps"]}
    assert "Jacobian of softmax" in formulas["δ⁽²⁾"]


@pytest.mark.parametrize(
    ("arguments", "fragments", "code"),
    [
        (["--input", "0.1"], ["--input", "2 inputs"], 2),
        (["--input", "a,b"], ["--input"], 2),
        (["--target", "0.1,0.2,0.3"], ["--target", "2 outputs"], 2),
        (["--model", "m.npz", "--layers", "2,3,2"], ["--layers does not apply with --model"], 2),
        (["--model", "missing.npz"], ["missing.npz"], 1),
        (["--model", "text.npz"], ["not a layerkit model file"], 1),
        (["--activation", "nope"], ["no activation named 'nope'"], 2),
        (["--format", "html"], ["--format"], 2),
    ],
)
def test_errors_are_one_line(layerkit, tmp_path, arguments, fragments, code):
    (tmp_path / "text.npz").write_text("hello")
    assert_one_line_error(layerkit("explain", *arguments), *fragments, code=code)
