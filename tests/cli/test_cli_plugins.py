"""`layerkit plugins` and `layerkit check`: components listed, failures reported."""

from __future__ import annotations

import importlib.metadata
import json
import types

import pytest

import layerkit as lk
from layerkit.registry import AUTOLOAD_ENV, LOAD_ENV, PluginWarning

from .cli_support import Cube, WrongGradient, assert_one_line_error

FIRST_PARTY_ACTIVATIONS = {"tanh", "relu", "leaky_relu", "softplus", "elu", "gelu", "softmax"}
FIRST_PARTY_LOSSES = {"cross_entropy", "binary_cross_entropy", "l1", "huber"}


def test_all_lists_the_built_ins_as_plugin_layerkit(layerkit):
    run = layerkit("plugins", "--all")
    assert run.code == 0, run.err
    header, builtin, *_ = run.out.splitlines()
    assert header.split() == ["plugin", "distribution", "version", "activations", "losses"]
    assert builtin.split() == ["layerkit", "layerkit", lk.__version__, "sigmoid", "l2"]
    assert "layerkit " not in "\n".join(layerkit("plugins").out.splitlines()[1:]) + " "


def test_json_lists_runtime_and_installed_plugins(layerkit, runtime_plugin):
    runtime_plugin("cubes", cube=Cube)
    report = json.loads(layerkit("plugins", "--json").out)
    by_name = {entry["name"]: entry for entry in report["plugins"]}
    assert "layerkit" not in by_name
    assert by_name["cubes"] == {
        "name": "cubes",
        "distribution": None,
        "version": None,
        "activations": ["cube"],
        "losses": [],
    }
    everything = json.loads(layerkit("plugins", "--all", "--json").out)["plugins"]
    activations = {name for entry in everything for name in entry["activations"]}
    losses = {name for entry in everything for name in entry["losses"]}
    assert {"sigmoid", "cube"} <= activations and "l2" in losses
    installed = set(lk.activations()) | set(lk.losses())
    assert (FIRST_PARTY_ACTIVATIONS | FIRST_PARTY_LOSSES) & installed <= activations | losses
    assert report["failed"] == []


def test_text_table_shows_a_runtime_plugin(layerkit, runtime_plugin):
    runtime_plugin("cubes", cube=Cube)
    row = next(line for line in layerkit("plugins").out.splitlines() if line.startswith("cubes"))
    assert "(registered at run time)" in row and "cube" in row


def test_failed_plugins_are_listed_with_their_reason(layerkit, monkeypatch):
    broken = types.SimpleNamespace(
        metadata={"name": "layerkit-broken"},
        version="0.3",
        entry_points=[
            importlib.metadata.EntryPoint(
                name="broken", value="no_such_module_anywhere", group="layerkit"
            )
        ],
    )

    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    monkeypatch.delenv(LOAD_ENV, raising=False)
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [broken])
    with pytest.warns(PluginWarning):
        run = layerkit("plugins", "--json")
    failed = json.loads(run.out)["failed"]
    assert [entry["name"] for entry in failed] == ["broken"]
    assert "layerkit-broken 0.3" in failed[0]["reason"]
    assert "ModuleNotFoundError" in failed[0]["reason"]
    text = layerkit("plugins").out
    assert "failed to load:" in text and "broken:" in text


def test_check_passes_for_every_registered_component(layerkit):
    run = layerkit("check")
    assert run.code == 0, run.out
    lines = run.out.splitlines()
    components = {line.split("  ")[0] for line in lines[1:-1]}
    expected = {f"activation {name!r}" for name in lk.activations()}
    expected |= {f"loss {name!r}" for name in lk.losses()}
    assert components == expected
    assert all(" pass " in line for line in lines[1:-1])
    assert lines[-1].endswith(f"{len(expected)} passed, 0 failed")


def test_check_fails_a_broken_component_and_exits_non_zero(layerkit, runtime_plugin):
    runtime_plugin("mixed", cube=Cube, wrong=WrongGradient)
    run = layerkit("check", "cube", "wrong", "sigmoid")
    assert run.code == 1
    rows = {line.split()[1]: line.split()[2] for line in run.out.splitlines()[1:4]}
    assert rows == {"'cube'": "pass", "'wrong'": "FAIL", "'sigmoid'": "pass"}
    assert "activation 'wrong', gradient:" in run.out
    assert run.out.splitlines()[-1] == "3 components: 2 passed, 1 failed"
    report = json.loads(layerkit("check", "wrong", "--json").out)
    [component] = report["components"]
    assert component["passed"] is False
    assert "gradient" in {failure["check"] for failure in component["failures"]}


def test_check_of_an_unknown_name_is_an_error(layerkit):
    assert_one_line_error(layerkit("check", "nope"), "'nope'", "sigmoid", code=1)
