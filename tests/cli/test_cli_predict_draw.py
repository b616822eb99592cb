"""`layerkit predict` and `layerkit draw`."""

from __future__ import annotations

import csv
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import layerkit as lk
from layerkit.cli.commands import cli

from .cli_support import assert_one_line_error

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """The default network trained once with ``layerkit train --save``."""
    directory = tmp_path_factory.mktemp("trained")
    result = CliRunner().invoke(cli, ["train", "--save", str(directory / "h.npz"), "--quiet"])
    assert result.exit_code == 0, result.output
    return directory / "h.npz"


@pytest.fixture
def half_adder_model(trained, tmp_path) -> Path:
    """A copy of the trained model, and the half adder as h.csv, in the test's directory."""
    shutil.copy(trained, tmp_path / "h.npz")
    x, t = lk.datasets.half_adder()
    with open(tmp_path / "h.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["a", "b", "sum", "carry"])
        writer.writerows(np.column_stack([x, t]).astype(int).tolist())
    return tmp_path / "h.npz"


def test_predict_prints_the_outputs_as_an_aligned_table(layerkit, half_adder_model):
    run = layerkit("predict", "--model", "h.npz", "--data", "h.csv")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["sum", "carry"]
    assert len({len(line) for line in lines}) == 1  # right-aligned columns
    predictions = np.array([line.split() for line in lines[1:]], dtype=float)
    net = lk.serialization.load(half_adder_model)
    x, t = lk.datasets.half_adder()
    np.testing.assert_allclose(predictions, net(x), atol=5e-5)  # rounded to 4 decimals
    assert np.array_equal(predictions.round(), t)


def test_predict_writes_a_csv_file_with_every_digit(layerkit, half_adder_model, tmp_path):
    run = layerkit("predict", "--model", "h.npz", "--data", "h.csv", "--output", "out.csv")
    assert run.code == 0, run.err
    assert run.out.strip() == "wrote 4 predictions to out.csv"
    rows = list(csv.reader((tmp_path / "out.csv").read_text().splitlines()))
    assert rows[0] == ["sum", "carry"]
    x, _ = lk.datasets.half_adder()
    net = lk.serialization.load(half_adder_model)
    assert np.array_equal(np.array(rows[1:], dtype=float), net(x))  # full precision


def test_predict_from_npz_and_without_saved_names(layerkit, tmp_path):
    net = lk.mlp([3, 4, 1], seed=0)
    lk.serialization.save(net, tmp_path / "plain.npz")
    x = np.random.default_rng(0).uniform(size=(5, 3))
    np.savez(tmp_path / "inputs.npz", x=x)
    run = layerkit("predict", "--model", "plain.npz", "--data", "inputs.npz", "-o", "p.csv")
    assert run.code == 0, run.err
    rows = list(csv.reader((tmp_path / "p.csv").read_text().splitlines()))
    assert rows[0] == ["y1"]
    assert np.array_equal(np.array(rows[1:], dtype=float), net(x))


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["h.npz", "missing.csv"], ["missing.csv"]),
        (["missing.npz", "h.csv"], ["missing.npz"]),
        (["h.csv", "h.csv"], ["not a layerkit model file"]),
        (["h.npz", "wide.csv"], ["expects 2 input columns", "3 to use"]),
        (["h.npz", "words.csv"], ["'x' is not a number"]),
        (["h.npz", "h.csv", "--output", "no/dir/out.csv"], ["--output", "does not exist"]),
    ],
)
def test_predict_errors_are_one_line(layerkit, half_adder_model, tmp_path, arguments, fragments):
    (tmp_path / "wide.csv").write_text("p,q,r\n1,2,3\n")
    (tmp_path / "words.csv").write_text("a,b\n1,x\n")
    model, data, *rest = arguments
    run = layerkit("predict", "--model", model, "--data", data, *rest)
    assert_one_line_error(run, *fragments, code=1)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_draw_prints_the_derivations_figure(layerkit):
    run = layerkit("draw")
    assert run.code == 0, run.err
    root = parse(run.out)
    assert len(root.findall(f"{SVG}circle")) == 7
    assert len(root.findall(f"{SVG}line")) == 12
    labels = texts(root)
    assert {"x₁", "x₂", "h₁", "h₃", "y₂", "w₁₁", "w₂₃", "u₃₂"} <= set(labels)


def test_draw_writes_a_file_and_draws_a_saved_model(layerkit, tmp_path):
    net = lk.mlp([2, 5, 3], seed=0)
    lk.serialization.save(net, tmp_path / "m.npz")
    run = layerkit("draw", "--model", "m.npz", "-o", "net.svg")
    assert run.code == 0, run.err
    assert run.out.strip() == "wrote net.svg (a 2-5-3 network)"
    root = parse((tmp_path / "net.svg").read_text())
    assert len(root.findall(f"{SVG}circle")) == 10
    colours = {line.get("stroke") for line in root.findall(f"{SVG}line")}
    assert colours <= {"#2b6cb0", "#c53030"} and len(colours) == 2  # signs of the weights


def test_draw_omits_labels_for_a_large_network(layerkit):
    root = parse(layerkit("draw", "--layers", "8,30,4", "--activation", "sigmoid").out)
    labels = texts(root)
    assert not any(label.startswith("w") for label in labels)
    assert "⋮" in labels and "hidden (30 units)" in labels


@pytest.mark.parametrize(
    ("arguments", "fragments", "code"),
    [
        (["--layers", "2"], ["--layers"], 2),
        (["--layers", "2,3", "--model", "m.npz"], ["--layers does not apply with --model"], 2),
        (["--model", "missing.npz"], ["missing.npz"], 1),
        (["--activation", "nope"], ["no activation named 'nope'"], 2),
        (["-o", "no/dir/net.svg"], ["does not exist"], 1),
    ],
)
def test_draw_errors_are_one_line(layerkit, arguments, fragments, code):
    assert_one_line_error(layerkit("draw", *arguments), *fragments, code=code)


# --------------------------------------------------------------- predict: classifiers
def save_classifier(path, sizes, output="softmax", classes=("a", "b", "c"), **metadata):
    net = lk.mlp(sizes, "tanh", output, seed=0)
    entries = {"task": "classification", "targets": ["kind"], "classes": list(classes)}
    lk.serialization.save(net, path, metadata={**entries, **metadata})
    return net


def table(run) -> tuple[list[str], list[list[str]]]:
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    return lines[0].split(), [line.split() for line in lines[1:]]


@pytest.mark.guarantee("command-line")
def test_predict_a_built_in_data_set_prints_probabilities_and_class_names(layerkit, tmp_path):
    if "softmax" not in lk.activations():
        pytest.skip("the first-party plugins are not installed")
    net = save_classifier(tmp_path / "c.npz", [2, 5, 3])
    header, rows = table(layerkit("predict", "--model", "c.npz", "--data", "blobs"))
    assert header == ["P(kind=a)", "P(kind=b)", "P(kind=c)", "predicted", "kind"]
    x, _ = lk.datasets.load("blobs", seed=0)
    y = net(x)
    assert len(rows) == len(x)
    shown = np.array([row[:3] for row in rows], dtype=float)
    np.testing.assert_allclose(shown, y, atol=5e-5)  # rounded to 4 decimals
    assert all(len(cell.split(".")[1]) == 4 for row in rows for cell in row[:3])
    assert [row[3] for row in rows] == [("a", "b", "c")[k] for k in np.argmax(y, axis=1)]


@pytest.mark.guarantee("command-line")
def test_predict_turns_logits_into_probabilities(layerkit, tmp_path):
    net = save_classifier(tmp_path / "c.npz", [2, 4, 3], output=None)
    _, rows = table(layerkit("predict", "--model", "c.npz", "--data", "xor"))
    shown = np.array([row[:3] for row in rows], dtype=float)
    np.testing.assert_allclose(shown.sum(axis=1), 1, atol=2e-4)
    x, _ = lk.datasets.load("xor", seed=0)
    assert [row[3] for row in rows] == [("a", "b", "c")[k] for k in np.argmax(net(x), axis=1)]


@pytest.mark.guarantee("command-line")
def test_predict_one_output_of_two_classes_shows_both_probabilities(layerkit, tmp_path):
    net = save_classifier(tmp_path / "c.npz", [2, 4, 1], output="sigmoid", classes=["no", "yes"])
    header, rows = table(layerkit("predict", "--model", "c.npz", "--data", "moons"))
    assert header[:2] == ["P(kind=no)", "P(kind=yes)"]
    x, _ = lk.datasets.load("moons", seed=0)
    p = net(x)[:, 0]
    np.testing.assert_allclose(np.array([row[1] for row in rows], dtype=float), p, atol=5e-5)
    assert [row[2] for row in rows] == ["yes" if v >= 0.5 else "no" for v in p]


@pytest.mark.guarantee("command-line")
@pytest.mark.parametrize(
    ("metadata", "ignored"),
    [
        ({"task": "classification", "classes": ["only"]}, "classes"),  # was an IndexError
        ({"task": "classification", "classes": 5}, "classes"),  # was a TypeError
        ({"task": "classification", "classes": [[1], {}]}, "classes"),
        ({"task": "classification", "classes": ["a", "a"]}, "classes"),
        ({"task": "classification", "targets": 7}, "targets"),
        ({"task": 5}, "task"),
        ({"features": 5}, "features"),  # was a TypeError
        ({"features": [None, 1.5]}, "features"),
        ({"features": ["p"]}, "features"),  # one name for two inputs: was exit 1
        ({"outputs": "ab"}, "outputs"),
        ({"task": "regression", "outputs": ["p\nq", "r"]}, "outputs"),  # broke the table
        ({"outputs": ["p", "q", "r"]}, "outputs"),
        ({"task": "classification"}, None),
        ({"nothing": "useful"}, None),
    ],
)
def test_predict_falls_back_on_metadata_that_does_not_fit(layerkit, tmp_path, metadata, ignored):
    net = lk.mlp([2, 3, 2], seed=0)
    lk.serialization.save(net, tmp_path / "m.npz", metadata=metadata)
    (tmp_path / "d.csv").write_text("p,q\n0.1,0.2\n0.9,0.3\n")
    run = layerkit("predict", "--model", "m.npz", "--data", "d.csv")
    assert run.code == 0, run.err
    header, rows = table(run)
    assert len(rows) == 2
    y = net(np.array([[0.1, 0.2], [0.9, 0.3]]))
    np.testing.assert_allclose(np.array([row[:2] for row in rows], dtype=float), y, atol=5e-5)
    if metadata.get("task") == "classification":
        assert header[-2] == "predicted" and rows[0][-1] in {"0", "1"}  # classes by number
    if ignored is None:
        assert run.err == ""
    else:
        note = run.err.splitlines()
        assert len(note) == 1 and note[0].startswith("layerkit predict: note: ignored")
        assert ignored in note[0]


@pytest.mark.guarantee("command-line")
def test_predict_a_data_set_of_the_wrong_width_is_a_usage_error(layerkit, tmp_path):
    lk.serialization.save(lk.mlp([3, 2, 1], seed=0), tmp_path / "m.npz")
    run = layerkit("predict", "--model", "m.npz", "--data", "spirals")
    assert_one_line_error(run, "'--data'", "3 inputs", "2 features", code=2)


@pytest.mark.guarantee("command-line")
def test_predict_failing_after_odd_metadata_is_still_one_line(layerkit, tmp_path):
    net = lk.mlp([2, 3, 2], seed=0)
    lk.serialization.save(net, tmp_path / "m.npz", metadata={"classes": 5, "task": 1})
    # Found by the fuzz: the note about the metadata came first, then the error.
    run = layerkit("predict", "--model", "m.npz", "--data", "m.npz")
    assert_one_line_error(run, "arrays of different lengths", code=1)
