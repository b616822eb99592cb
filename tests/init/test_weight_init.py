"""The built-in weight initializers and Dense(init=...): formulas, seeds, errors, saving.

Each initializer's draw is compared with its documented formula, written out here a second
time: the mean, the variance and the bounds of a large draw must agree within tolerances
derived from the sample size (six standard errors, so a correct draw fails about once in
10⁸), and the kurtosis tells a normal draw from a uniform one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import (
    ComponentTypeError,
    ConfigurationError,
    UnknownComponentError,
)
from layerkit.registry import registered_name, reset_plugin_manager
from layerkit.weight_init import fans


@pytest.fixture(autouse=True)
def fresh_plugins():
    reset_plugin_manager()
    yield
    reset_plugin_manager()


def expected(name: str, shape: tuple[int, int], options: dict) -> tuple[str, float]:
    """The distribution ("uniform" or "normal") and the variance the docs give for ``name``."""
    fan_in, fan_out = shape
    gain = options.get("gain")
    if name in ("glorot_uniform", "xavier_uniform", "glorot"):
        return "uniform", (gain or 1.0) ** 2 * 2 / (fan_in + fan_out)
    if name in ("glorot_normal", "xavier_normal"):
        return "normal", (gain or 1.0) ** 2 * 2 / (fan_in + fan_out)
    fan = fan_out if options.get("mode") == "fan_out" else fan_in
    if name in ("he_uniform", "kaiming_uniform"):
        return "uniform", (gain or math.sqrt(2)) ** 2 / fan
    assert name in ("he_normal", "kaiming_normal", "he")
    return "normal", (gain or math.sqrt(2)) ** 2 / fan


RANDOM = [
    "glorot_uniform",
    "xavier_uniform",
    "glorot",
    "glorot_normal",
    "xavier_normal",
    "he_uniform",
    "kaiming_uniform",
    "he_normal",
    "kaiming_normal",
    "he",
]
OPTIONS = [{}, {"gain": 5 / 3}, {"gain": 0.5}]
HE_OPTIONS = [{"mode": "fan_in"}, {"mode": "fan_out"}, {"gain": 1.0, "mode": "fan_out"}]


def cases():
    for name in RANDOM:
        for options in OPTIONS + (HE_OPTIONS if name.startswith(("he", "kaiming")) else []):
            yield pytest.param(name, options, id=f"{name}-{options}")


@pytest.mark.parametrize(("name", "options"), list(cases()))
def test_each_initializer_draws_its_formula(name, options):
    shape = (800, 125)  # fan_in ≠ fan_out, far enough apart that swapping them shows
    W = lk.initializer(name, **options)(shape, np.random.default_rng(7))
    assert W.shape == shape and W.dtype == np.float64
    distribution, variance = expected(name, shape, options)
    n = W.size
    kurtosis = 3.0 if distribution == "normal" else 1.8  # E[x⁴] / σ⁴
    assert abs(W.mean()) <= 6 * math.sqrt(variance / n)
    assert abs(W.var() - variance) <= 6 * variance * math.sqrt((kurtosis - 1) / n)
    assert abs(np.mean(W**4) / W.var() ** 2 - kurtosis) <= 0.15
    if distribution == "uniform":
        bound = math.sqrt(3 * variance)  # U(−a, a) has variance a² / 3
        assert np.abs(W).max() <= bound * (1 + 1e-12)
        assert np.abs(W).max() >= bound * (1 - 20 / n)  # misses by more: p = e^−20


@pytest.mark.parametrize(
    ("name", "mode", "fan"),
    [("he_normal", "fan_in", 1000), ("he_normal", "fan_out", 10), ("he_uniform", "fan_out", 10)],
)
def test_fan_in_is_the_first_dimension_of_dense_weights(name, mode, fan):
    """Dense W is (in_features, out_features): fan_in = 1000 inputs, fan_out = 10 outputs."""
    layer = lk.Dense(1000, 10, init=lk.initializer(name, mode=mode), seed=0)
    assert abs(layer.W.var() * fan / 2 - 1) < 0.05


def test_glorot_uses_both_fans():
    layer = lk.Dense(1000, 10, init="glorot_normal", seed=0)
    assert abs(layer.W.var() * (1000 + 10) / 2 - 1) < 0.05


def test_fans_of_other_shapes():
    assert fans((3, 5)) == (3, 5)
    assert fans((4,)) == (4, 4)
    assert fans((2, 3, 4, 5)) == (4 * 6, 5 * 6)  # a (kh, kw, in, out) kernel, as in Keras
    assert fans(()) == (1, 1)
    assert fans((0, 3)) == (1, 3)
    assert lk.initializer("he_uniform")((0, 3), np.random.default_rng(0)).shape == (0, 3)


def test_zeros_is_zero_and_draws_nothing():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    W = lk.initializer("zeros")((4, 5), rng)
    assert W.dtype == np.float64 and not W.any()
    assert rng.bit_generator.state == state
    assert not lk.Dense(4, 5, init="zeros", seed=1).W.any()


# ------------------------------------------------------------------------- seeds, dtypes
@pytest.mark.parametrize("init", [*RANDOM, "zeros"])
def test_same_seed_gives_the_same_weights_in_float32_and_float64(init):
    wide = lk.Dense(30, 20, init=init, seed=11, dtype=np.float64)
    again = lk.Dense(30, 20, init=init, seed=11)
    narrow = lk.Dense(30, 20, init=init, seed=11, dtype=np.float32)
    np.testing.assert_array_equal(wide.W, again.W)
    assert narrow.W.dtype == np.float32
    np.testing.assert_array_equal(narrow.W, wide.W.astype(np.float32))
    if init != "zeros":
        assert not np.array_equal(lk.Dense(30, 20, init=init, seed=12).W, wide.W)


@pytest.mark.parametrize("seed", [0, 1, 42, 2**40])
@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (1, 1), (784, 128)])
@pytest.mark.parametrize("dtype", [None, np.float32])
def test_glorot_and_he_draw_what_dense_always_drew(seed, shape, dtype):
    """Bit for bit: the seed's 2-3-2 tests and every seeded example depend on these draws."""
    fan_in, fan_out = shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    glorot = np.random.default_rng(seed).uniform(-limit, limit, size=shape)
    he = np.random.default_rng(seed).normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    for init, draw in (("glorot", glorot), ("he", he), ("glorot_uniform", glorot)):
        W = lk.Dense(*shape, init=init, seed=seed, dtype=dtype).W
        np.testing.assert_array_equal(W, draw.astype(dtype or np.float64), strict=True)
    assert np.array_equal(lk.Dense(*shape, seed=seed).W, glorot)  # the default is "glorot"
    W = lk.Dense(*shape, init=lk.initializer("he_normal"), seed=seed).W
    assert np.array_equal(W, he)


def test_the_seed_of_the_derivation_network_is_unchanged():
    """Literal values: lk.Dense(2, 3, seed=0) as layerkit has always drawn it."""
    np.testing.assert_allclose(
        lk.Dense(2, 3, seed=0).W,
        [[0.30006802, -0.50437204, -1.00567662], [-1.05923488, 0.68634071, 0.90430216]],
        rtol=0,
        atol=5e-9,
    )


def test_a_function_is_called_with_the_shape_and_the_seeded_generator():
    calls = []

    def init(shape, rng):
        calls.append(shape)
        return rng.standard_normal(shape) * 0.1

    layer = lk.Dense(3, 4, init=init, seed=5, dtype=np.float32)
    assert calls == [(3, 4)]
    draw = np.random.default_rng(5).standard_normal((3, 4)) * 0.1
    np.testing.assert_array_equal(layer.W, draw.astype(np.float32))
    np.testing.assert_array_equal(lk.Dense(3, 4, init=init, seed=5).W, draw)


def test_a_generator_seed_is_used_as_is():
    rng = np.random.default_rng(9)
    first, second = lk.Dense(2, 2, seed=rng), lk.Dense(2, 2, seed=rng)
    assert not np.array_equal(first.W, second.W)  # the generator moved on
    rng = np.random.default_rng(9)
    assert np.array_equal(lk.Dense(2, 2, seed=rng).W, first.W)


def test_mlp_passes_init_to_every_dense_layer():
    net = lk.mlp([4, 8, 3], init="zeros", seed=0)
    assert not net[0].W.any() and not net[2].W.any()
    assert net[0].init == net[2].init == "zeros"
    # Left out, init follows the hidden activation: He for the ReLU family, else Glorot.
    assert lk.mlp([4, 8, 3], activation="relu", seed=0)[0].init == "he"
    assert lk.mlp([4, 8, 3], seed=0)[0].init == "glorot"
    layers = lk.mlp([4, 8, 3], activation="relu", init="he", seed=2)
    assert np.array_equal(layers[0].W, lk.mlp([4, 8, 3], activation="relu", seed=2)[0].W)


# -------------------------------------------------------------------------------- errors
def test_an_unknown_name_lists_the_registered_ones():
    with pytest.raises(UnknownComponentError) as raised:
        lk.Dense(2, 3, init="glorot_unifrom")
    message = str(raised.value)
    assert "no initializer named 'glorot_unifrom'" in message
    assert "Did you mean 'glorot_uniform'?" in message
    for name in [*RANDOM, "zeros"]:
        assert name in message


@pytest.mark.parametrize(
    ("init", "words"),
    [
        (lambda shape, rng: np.zeros((3, 2)), ["shape (2, 3)", "got shape (3, 2)"]),
        (lambda shape, rng: np.zeros(6), ["shape (2, 3)", "got shape (6,)"]),
        (lambda shape, rng: np.full(shape, np.nan), ["finite", "6 NaN or infinite of 6"]),
        (lambda shape, rng: np.full(shape, np.inf), ["finite", "6 NaN or infinite"]),
        (lambda shape, rng: [[0.0] * 3] * 2, ["NumPy array", "shape (2, 3)", "of type list"]),
        (lambda shape, rng: None, ["NumPy array", "of type NoneType"]),
        (lambda shape, rng: np.zeros(shape, complex), ["real numbers", "complex128"]),
        (lambda shape, rng: np.full(shape, "a"), ["real numbers", "<U1"]),
    ],
)
def test_a_function_returning_the_wrong_thing_is_refused(init, words):
    with pytest.raises(ConfigurationError) as raised:
        lk.Dense(2, 3, init=init, seed=0)
    message = str(raised.value)
    assert message.startswith("Dense(2→3) expects init=")
    for word in words:
        assert word in message, message


def test_an_error_inside_the_function_names_the_layer():
    def init(shape, rng):
        raise RuntimeError("out of ideas")

    with pytest.raises(RuntimeError, match="out of ideas") as raised:
        lk.Dense(2, 3, init=init)
    assert any("Dense(2→3) drew its weights" in note for note in raised.value.__notes__)


def test_an_integer_array_is_accepted_and_converted():
    layer = lk.Dense(2, 3, init=lambda shape, rng: np.ones(shape, dtype=int), dtype=np.float32)
    assert layer.W.dtype == np.float32 and (layer.W == 1).all()


@pytest.mark.parametrize(
    ("init", "error", "words"),
    [
        (lk.GlorotUniform, ComponentTypeError, ["the class GlorotUniform", "parentheses"]),
        (3, ComponentTypeError, ["got 3 of type int", "'glorot'"]),
        (["glorot"], ComponentTypeError, ["of type list"]),
        ({"name": "he"}, None, []),
        ({"config": {}}, ConfigurationError, ["{'name': str"]),
        ({"name": "he", "config": [1]}, ConfigurationError, ["'config'"]),
        ({"name": "he", "gain": 2}, ConfigurationError, ["as config() records it"]),
        (None, ConfigurationError, ["Dense(2→3) has no initializer (init=None)", "give them"]),
    ],
)
def test_init_of_the_wrong_form_is_refused(init, error, words):
    if error is None:
        assert lk.Dense(2, 3, init=init, seed=0).W.shape == (2, 3)
        return
    with pytest.raises(error) as raised:
        lk.Dense(2, 3, init=init)
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize(
    ("name", "options", "words"),
    [
        ("glorot_uniform", {"gain": 0}, ["GlorotUniform", "positive gain", "gain=0"]),
        ("he_normal", {"gain": -1.0}, ["HeNormal", "gain=-1.0"]),
        ("xavier_normal", {"gain": float("nan")}, ["GlorotNormal", "gain=nan"]),
        ("he_uniform", {"gain": True}, ["HeUniform", "gain=True"]),
        ("kaiming_uniform", {"mode": "fan_avg"}, ["'fan_in' or 'fan_out'", "'fan_avg'"]),
        ("he", {"a": 0.01}, ["unexpected keyword argument 'a'"]),
    ],
)
def test_bad_options_are_refused(name, options, words):
    with pytest.raises(ConfigurationError) as raised:
        lk.initializer(name, **options)
    for word in words:
        assert word in str(raised.value)


# ------------------------------------------------------------------ config and saving
def test_the_names_and_their_classes():
    classes = {name: component.cls for name, component in lk.initializers().items()}
    assert classes == {
        "glorot_uniform": lk.GlorotUniform,
        "glorot": lk.GlorotUniform,
        "xavier_uniform": lk.GlorotUniform,
        "glorot_normal": lk.GlorotNormal,
        "xavier_normal": lk.GlorotNormal,
        "he_normal": lk.HeNormal,
        "he": lk.HeNormal,
        "kaiming_normal": lk.HeNormal,
        "he_uniform": lk.HeUniform,
        "kaiming_uniform": lk.HeUniform,
        "zeros": lk.Zeros,
    }
    assert registered_name(lk.initializer("xavier_uniform")) == "glorot_uniform"
    assert registered_name(lk.initializer("he")) == "he_normal"
    assert repr(lk.initializer("kaiming_uniform", mode="fan_out")) == (
        "HeUniform(gain=1.4142135623730951, mode='fan_out')"
    )


def test_config_keeps_a_name_a_registered_instance_and_nothing_else():
    assert lk.Dense(2, 3, init="xavier_normal").config()["init"] == "xavier_normal"
    by_instance = lk.Dense(2, 3, init=lk.initializer("kaiming_uniform", mode="fan_out"))
    assert by_instance.config()["init"] == {
        "name": "he_uniform",
        "config": {"gain": math.sqrt(2), "mode": "fan_out"},
    }

    class Ones(lk.Initializer):  # not registered: no name to rebuild it by
        def draw(self, shape, rng):
            return np.ones(shape)

    rebuilt = lk.Dense(2, 3, init=by_instance.config()["init"])
    rebuilt.config()["init"]["config"]["mode"] = "fan_in"  # a copy: the layer keeps its own
    assert rebuilt.config() == by_instance.config()

    assert lk.Dense(2, 3, init=Ones()).config()["init"] is None
    assert lk.Dense(2, 3, init=lambda shape, rng: np.ones(shape)).config()["init"] is None


@pytest.mark.parametrize(
    "init",
    ["he", "xavier_uniform", lk.HeUniform(gain=1.0, mode="fan_out"), lk.GlorotNormal(gain=2.0)],
    ids=repr,
)
def test_a_named_init_round_trips_through_save_and_load(tmp_path, init):
    layer = lk.Dense(5, 4, init=init, seed=3, dtype=np.float32)
    lk.save(lk.Sequential(layer, lk.Sigmoid()), tmp_path / "m.npz")
    loaded = lk.load(tmp_path / "m.npz")[0]
    assert loaded.config() == layer.config()
    np.testing.assert_array_equal(loaded.W, layer.W, strict=True)
    # The config rebuilds the rule: a fresh layer from it with the same seed draws the same W.
    fresh = lk.Dense(**loaded.config(), seed=3, dtype=np.float32)
    np.testing.assert_array_equal(fresh.W, layer.W, strict=True)
    lk.save(loaded, tmp_path / "again.npz")  # and it saves again as it was
    assert lk.load(tmp_path / "again.npz").config() == layer.config()


def test_a_function_init_saves_its_weights_and_records_none(tmp_path):
    layer = lk.Dense(3, 2, init=lambda shape, rng: rng.uniform(-1, 1, shape), seed=0)
    lk.save(layer, tmp_path / "m.npz")
    loaded = lk.load(tmp_path / "m.npz")
    assert loaded.init is None and loaded.config()["init"] is None
    np.testing.assert_array_equal(loaded.W, layer.W)
    lk.save(loaded, tmp_path / "again.npz")
    with pytest.raises(ConfigurationError, match="init=None"):
        lk.Dense(**loaded.config())  # no rule to draw fresh weights with


def test_a_plugin_initializer_is_used_by_name_and_not_needed_to_load(tmp_path):
    class Twos(lk.Initializer):
        def __init__(self, scale: float = 1.0) -> None:
            self.scale = scale

        def draw(self, shape, rng):
            return np.full(shape, 2.0 * self.scale)

        def config(self):
            return {"scale": self.scale}

    class Plugin:
        @lk.hookimpl
        def register_initializers(self, register):
            register("twos", Twos)

    manager = lk.plugin_manager()
    manager.register(Plugin(), name="twos")
    try:
        by_name = lk.Dense(2, 2, init="twos")
        by_instance = lk.Dense(2, 2, init=Twos(scale=0.5))
        assert (by_name.W == 2).all() and (by_instance.W == 1).all()
        assert by_instance.config()["init"] == {"name": "twos", "config": {"scale": 0.5}}
        lk.save(lk.Sequential(by_name, by_instance), tmp_path / "m.npz")
    finally:
        manager.unregister(name="twos")
    loaded = lk.load(tmp_path / "m.npz")  # the weights are in the file; init is only recorded
    assert loaded[0].init == "twos" and (loaded[1].W == 1).all()
    with pytest.raises(UnknownComponentError, match="twos"):
        lk.Dense(**loaded[0].config())
