"""to_torch and from_torch: same outputs, same gradients, exact round trips, copies, refusals.

Outputs are not bit-identical: PyTorch's exp, tanh, log1p and matrix products round
differently from NumPy's. Measured on 10,000 inputs (torch 2.13.0+cpu, NumPy's OpenBLAS): in
float64 11% of the seed network's outputs and 48% of those of the network of every activation
differ, by at most 2.2e-16 (one or two ulps; 6.7e-16 relative), so float64 is checked to
1e-15 (absolute: every output here lies in [0, 1]); in float32 at most 4.1e-7 relative, checked
to 1e-6. Parameters survive a round trip bit for bit, and so do outputs computed by layerkit.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import (
    ComponentTypeError,
    ConfigurationError,
    DTypeError,
    MissingDependencyError,
    NonFiniteError,
)

torch = pytest.importorskip("torch")
activations = pytest.importorskip("layerkit_activations")
nn = torch.nn


def every_activation_net(dtype: type = np.float64) -> lk.Sequential:
    """Dense layers between every first-party activation, one nested Sequential."""
    return lk.Sequential(
        lk.Dense(3, 5, seed=0, dtype=dtype),
        lk.Sigmoid(),
        lk.Sequential(lk.Dense(5, 5, seed=1, dtype=dtype), activations.Tanh()),
        lk.Dense(5, 5, seed=2, dtype=dtype),
        activations.ReLU(),
        lk.Dense(5, 5, seed=3, dtype=dtype),
        activations.LeakyReLU(slope=0.2),
        lk.Dense(5, 5, seed=4, dtype=dtype),
        activations.ELU(alpha=0.7),
        lk.Dense(5, 5, seed=5, dtype=dtype),
        activations.GELU(),
        lk.Dense(5, 5, seed=6, dtype=dtype),
        activations.Softplus(),
        lk.Dense(5, 4, seed=7, dtype=dtype),
        activations.Softmax(),
    )


def inputs(dtype: type = np.float64, rows: int = 64) -> np.ndarray:
    # wide enough to reach Softplus's cut-off and GELU's saturation after the first layers
    return (np.random.default_rng(42).normal(size=(rows, 3)) * 3).astype(dtype)


def torch_output(module: object, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()  # type: ignore[operator]


def assert_same_parameters(net: lk.Sequential, other: lk.Sequential) -> None:
    ours, theirs = net.parameters(), other.parameters()
    assert [p.name for p in ours] == [p.name for p in theirs]
    for mine, yours in zip(ours, theirs, strict=True):
        assert mine.value.dtype == yours.value.dtype, mine.name
        np.testing.assert_array_equal(mine.value, yours.value, strict=True)


# ------------------------------------------------------------------------------- outputs


def test_seed_network_outputs_agree_within_1e_15_in_float64(seed_network, seed_weights):
    module = lk.to_torch(seed_network)
    linear = module[0]
    np.testing.assert_array_equal(linear.weight.detach().numpy(), seed_weights["w"].T)
    np.testing.assert_array_equal(module[2].bias.detach().numpy(), seed_weights["b2"])
    assert linear.weight.dtype == torch.float64
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.05, 0.10]])
    # an independent computation of the 2-3-2 sigmoid network, from the weights alone
    hidden = 1 / (1 + np.exp(-(x @ seed_weights["w"] + seed_weights["b1"])))
    expected = 1 / (1 + np.exp(-(hidden @ seed_weights["u"] + seed_weights["b2"])))
    np.testing.assert_allclose(torch_output(module, x), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(torch_output(module, x), seed_network(x), rtol=0, atol=1e-15)


def test_every_activation_agrees_within_1e_15_in_float64():
    net = every_activation_net()
    module = lk.to_torch(net)
    x = inputs()
    difference = np.max(np.abs(torch_output(module, x) - net(x)))
    assert difference <= 1e-15
    assert module[12].threshold == lk.torch_bridge.SOFTPLUS_THRESHOLD
    assert module[10].approximate == "tanh" and module[14].dim == -1
    assert module[6].negative_slope == 0.2 and module[8].alpha == 0.7


def test_every_activation_agrees_within_1e_6_in_float32():
    net = every_activation_net(np.float32)
    module = lk.to_torch(net)
    x = inputs(np.float32)
    assert all(p.dtype == torch.float32 for p in module.parameters())
    actual = torch_output(module, x)
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, net(x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("x", [-60.0, -30.0, -1.0, 0.0, 1e-8, 1.0, 19.9, 20.1, 35.0, 41.0, 1e5])
def test_softplus_cut_off_agrees_with_layerkit_where_pytorchs_default_does_not(x):
    ours = activations.Softplus()(np.array([x]))
    converted = lk.to_torch(activations.Softplus())
    np.testing.assert_allclose(torch_output(converted, np.array([x])), ours, rtol=1e-15)
    if x > 20:  # PyTorch's default threshold returns x itself, 2.1e-9 off log(1 + eˣ) at 20
        default = torch_output(nn.Softplus(), np.array([x]))
        assert default[0] == x


def test_a_single_layer_is_wrapped_in_a_sequential():
    module = lk.to_torch(lk.Dense(2, 3, seed=0))
    assert isinstance(module, nn.Sequential) and isinstance(module[0], nn.Linear)
    net = lk.from_torch(nn.Linear(2, 3))
    assert isinstance(net, lk.Sequential) and isinstance(net[0], lk.Dense)


# ---------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_bit_identical_parameters_and_outputs(dtype):
    net = every_activation_net(dtype)
    back = lk.from_torch(lk.to_torch(net))
    assert repr(back) == repr(net)
    assert_same_parameters(net, back)
    x = inputs(dtype)
    np.testing.assert_array_equal(back(x), net(x), strict=True)
    for layer in back.layers:
        if isinstance(layer, lk.Dense):
            assert layer.W.flags.c_contiguous


def test_torch_round_trip_gives_bit_identical_tensors():
    module = nn.Sequential(nn.Linear(4, 3), nn.ELU(alpha=0.5), nn.Linear(3, 2), nn.Softmax(-1))
    again = lk.to_torch(lk.from_torch(module))
    assert repr(again) == repr(module)
    for (name, mine), (other, yours) in zip(
        module.state_dict().items(), again.state_dict().items(), strict=True
    ):
        assert name == other and mine.dtype == yours.dtype
        assert torch.equal(mine, yours), name


def test_from_torch_of_a_hand_built_sequential():
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(3, 4),
        nn.ReLU(inplace=True),  # the same function: in place is PyTorch's memory business
        nn.Sequential(nn.Linear(4, 4), nn.GELU(approximate="tanh")),
        nn.Linear(4, 2),
        nn.Softmax(dim=-1),
    )
    net = lk.from_torch(module)
    assert [type(layer).__name__ for layer in net] == [
        "Dense",
        "ReLU",
        "Sequential",
        "Dense",
        "Softmax",
    ]
    np.testing.assert_array_equal(net[0].W, module[0].weight.detach().numpy().T)
    np.testing.assert_array_equal(net[2][0].b, module[2][0].bias.detach().numpy())
    assert net[0].W.dtype == np.float32
    x = inputs(np.float32)
    # the same network written out in NumPy from PyTorch's own parameters
    w = {name: p.detach().numpy() for name, p in module.named_parameters()}
    hidden = np.maximum(x @ w["0.weight"].T + w["0.bias"], 0)
    a = hidden @ w["2.0.weight"].T + w["2.0.bias"]
    a = 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3)))
    logits = a @ w["3.weight"].T + w["3.bias"]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(net(x), expected, rtol=1e-5)
    np.testing.assert_allclose(net(x), torch_output(module, x), rtol=1e-6)


def test_to_torch_leaves_pytorchs_random_generator_alone():
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    lk.to_torch(lk.mlp([20, 30, 4], seed=0))
    assert torch.equal(torch.rand(3), expected)


# ----------------------------------------------------------------------------- gradients


def test_pytorch_backward_gives_layerkits_parameter_gradients():
    net = every_activation_net()
    module = lk.to_torch(net)
    x = inputs()
    t = np.random.default_rng(1).dirichlet(np.ones(4), size=len(x))
    loss = lk.L2Loss()
    loss(net(x), t)
    net.backward(loss.backward())
    y = module(torch.from_numpy(x))
    (0.5 * ((y - torch.from_numpy(t)) ** 2).sum() / len(x)).backward()  # L2Loss, mean
    gradients = {name: p.grad.numpy() for name, p in module.named_parameters()}
    checked = 0
    for parameter in net.parameters():
        position, name = parameter.name.rsplit(".", 1)
        if name == "W":
            expected = gradients[f"{position}.weight"].T
        else:
            expected = gradients[f"{position}.bias"]
        scale = np.max(np.abs(expected))
        np.testing.assert_allclose(parameter.grad, expected, rtol=0, atol=1e-13 * scale)
        checked += 1
    assert checked == 16


# -------------------------------------------------------------------------------- copies


def test_training_the_pytorch_copy_leaves_the_layerkit_network_alone(seed_network):
    before = [p.value.copy() for p in seed_network.parameters()]
    module = lk.to_torch(seed_network)
    optimizer = torch.optim.SGD(module.parameters(), lr=1.0)
    module(torch.ones(1, 2, dtype=torch.float64)).sum().backward()
    optimizer.step()
    with torch.no_grad():
        module[0].weight.add_(1.0)
    for parameter, value in zip(seed_network.parameters(), before, strict=True):
        np.testing.assert_array_equal(parameter.value, value)


def test_training_the_layerkit_copy_leaves_the_pytorch_module_alone():
    module = nn.Sequential(nn.Linear(1, 3), nn.Sigmoid(), nn.Linear(3, 1))  # (n, 1) and (1, n)
    before = {name: p.detach().clone() for name, p in module.named_parameters()}
    net = lk.from_torch(module)
    x = np.ones((2, 1), dtype=np.float32)
    lk.fit(net, x, x, loss="l2", optimizer=lk.SGD(1.0), epochs=3)
    for layer in (net[0], net[2]):
        layer.W += 1.0
        layer.b += 1.0
    for name, p in module.named_parameters():
        assert torch.equal(p.detach(), before[name]), name


def test_to_torch_copies_even_a_read_only_weight_without_a_warning():
    layer = lk.Dense(1, 3, seed=0)  # W.T of a (1, 3) weight is contiguous: no copy by itself
    layer.W.flags.writeable = False
    module = lk.to_torch(layer)
    with torch.no_grad():
        module[0].weight.add_(1.0)
    np.testing.assert_array_equal(layer.W, lk.Dense(1, 3, seed=0).W)


# --------------------------------------------------------------------------------- errors

REFUSED_OPTIONS = [
    (nn.Linear(2, 3, bias=False), "bias", "Linear(in_features=2, out_features=3, bias=False)"),
    (nn.GELU(), "approximate='none'", 'approximate="tanh"'),
    (nn.Softplus(), "threshold=20.0", "threshold >= 40.0"),
    (nn.Softplus(beta=2.0, threshold=50.0), "beta=2.0", "beta=1"),
    (nn.Softmax(), "dim=None", "dim=-1"),
    (nn.Softmax(dim=1), "dim=1", "dim=-1"),
    (nn.LeakyReLU(negative_slope=-0.1), "negative_slope=-0.1", "negative_slope >= 0"),
    (nn.ELU(alpha=-1.0), "alpha=-1.0", "alpha >= 0"),
    (nn.ELU(alpha=float("inf")), "alpha=inf", "finite alpha"),
]


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize(("module", "received", "expected"), REFUSED_OPTIONS)
def test_an_option_layerkit_does_not_reproduce_is_refused_by_name(module, received, expected):
    wrapped = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Sigmoid(), module))
    with pytest.raises(ConfigurationError) as caught:
        lk.from_torch(wrapped)
    message = str(caught.value)
    assert message.startswith(f"from_torch: module 1.1 ({module!r})")
    assert received in message and expected in message


UNSUPPORTED_MODULES = [
    nn.Dropout(0.5),
    nn.BatchNorm1d(2),
    nn.Conv1d(1, 1, 1),
    nn.Identity(),
    nn.ModuleList([nn.Linear(2, 2)]),
]


class MyLinear(nn.Linear):
    """A subclass: its forward may differ, so it is not a Linear to from_torch."""


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("module", [*UNSUPPORTED_MODULES, MyLinear(2, 2)], ids=repr)
def test_a_module_without_layerkit_equivalent_is_named_with_what_is_supported(module):
    with pytest.raises(ComponentTypeError) as caught:
        lk.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), module))
    message = str(caught.value)
    shown = repr(module) if "\n" not in repr(module) else f"{type(module).__name__}(...)"
    assert message.startswith(f"from_torch: module 2 ({shown}) has no layerkit equivalent")
    assert "Sequential, Linear, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Softplus, Softmax" in (
        message
    )


@pytest.mark.guarantee("errors")
def test_a_wrapper_is_refused_saying_to_pass_the_module_inside():
    class Wrapper(nn.Module):  # as DistributedDataParallel keeps the model it trains
        def __init__(self, module):
            super().__init__()
            self.module = module

    with pytest.raises(ComponentTypeError) as caught:
        lk.from_torch(Wrapper(nn.Sequential(nn.Linear(2, 2))))
    message = str(caught.value)
    assert message.startswith("from_torch: module 0 (Wrapper(...)) has no layerkit equivalent")
    assert message.endswith("it wraps a model: pass its .module")


@pytest.mark.guarantee("errors")
def test_a_subclass_of_sequential_is_refused_at_the_top_too():
    class Residual(nn.Sequential):
        def forward(self, x):
            return x + super().forward(x)

    with pytest.raises(ComponentTypeError, match=r"module 0 \(Residual\(\.\.\.\)\) has no"):
        lk.from_torch(Residual(nn.Linear(2, 2)))

    class Shortcut(lk.Sequential):
        pass

    with pytest.raises(ComponentTypeError, match=r"layer 0 \(Shortcut\(\.\.\.\)\) has no"):
        lk.to_torch(Shortcut(lk.Dense(2, 2)))


class Doubling(lk.Layer):
    def forward(self, x):
        return 2 * np.asarray(x)

    def backward(self, grad):
        return 2 * np.asarray(grad)


class MyDense(lk.Dense):
    pass


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("layer", [Doubling(), MyDense(2, 2)], ids=["Doubling", "MyDense"])
def test_a_layer_without_pytorch_equivalent_is_named_with_what_is_supported(layer):
    with pytest.raises(ComponentTypeError) as caught:
        lk.to_torch(lk.Sequential(lk.Dense(2, 2), lk.Sequential(lk.Sigmoid(), layer)))
    message = str(caught.value)
    assert message.startswith(f"to_torch: layer 1.1 ({layer!r}) has no PyTorch equivalent")
    assert "Sequential, Dense, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Softplus, Softmax" in (
        message
    )


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int32])
def test_a_linear_of_another_dtype_is_refused(dtype):
    module = nn.Linear(2, 3).to(dtype) if dtype.is_floating_point else nn.Linear(2, 3)
    if not dtype.is_floating_point:
        module.weight = nn.Parameter(torch.ones(3, 2, dtype=dtype), requires_grad=False)
        module.bias = nn.Parameter(torch.ones(3, dtype=dtype), requires_grad=False)
    with pytest.raises(DTypeError, match=rf"module 0 \(Linear.*\) has weight of dtype {dtype}"):
        lk.from_torch(nn.Sequential(module))


@pytest.mark.guarantee("errors")
def test_a_linear_whose_weight_and_bias_differ_in_dtype_is_refused():
    module = nn.Linear(2, 3)
    module.bias = nn.Parameter(module.bias.detach().double())
    expected = r"weight of dtype torch\.float32 and bias of dtype torch\.float64"
    with pytest.raises(DTypeError, match=expected):
        lk.from_torch(module)


@pytest.mark.guarantee("errors")
def test_a_non_finite_weight_is_refused_naming_the_module():
    module = nn.Linear(2, 3)
    with torch.no_grad():
        module.weight[1, 0] = float("nan")
    with pytest.raises(NonFiniteError) as caught:
        lk.from_torch(nn.Sequential(nn.Sigmoid(), module))
    assert "raised by from_torch: module 1 (Linear(in_features=2" in caught.value.__notes__[0]


@pytest.mark.guarantee("errors")
def test_an_empty_sequential_is_refused():
    with pytest.raises(ConfigurationError, match=r"from_torch: the module \(Sequential\(\)\)"):
        lk.from_torch(nn.Sequential())
    with pytest.raises(ConfigurationError, match=r"module 1 \(Sequential\(\)\) is empty"):
        lk.from_torch(nn.Sequential(nn.Linear(1, 1), nn.Sequential()))


@pytest.mark.guarantee("errors")
def test_what_is_not_a_network_is_refused():
    with pytest.raises(ComponentTypeError, match=r"to_torch expects a layerkit layer.*got 'net'"):
        lk.to_torch("net")
    expected = r"from_torch expects a torch\.nn\.Module.*got 3 of type int"
    with pytest.raises(ComponentTypeError, match=expected):
        lk.from_torch(3)
    with pytest.raises(ComponentTypeError, match=r"got Sigmoid\(\) of type Sigmoid"):
        lk.from_torch(lk.Sigmoid())


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("convert", ["to_torch", "from_torch"])
def test_without_pytorch_the_error_says_how_to_install_it(monkeypatch, convert):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(MissingDependencyError) as caught:
        getattr(lk, convert)(lk.mlp([2, 1], seed=0))
    message = str(caught.value)
    assert message.startswith(f"{convert} needs PyTorch, which is not installed")
    assert "-m pip install torch" in message and "download.pytorch.org/whl/cpu" in message


@pytest.mark.guarantee("errors")
def test_without_the_activations_plugin_the_error_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "layerkit_activations", None)
    net = lk.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()))  # core layers still map
    assert isinstance(net[1], lk.Sigmoid)
    with pytest.raises(ComponentTypeError) as caught:
        lk.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Tanh()))
    message = str(caught.value)
    assert message.startswith("from_torch: module 1 (Tanh()) maps to layerkit_activations.Tanh")
    assert "plugins/layerkit-activations" in message


def test_a_plugin_can_add_a_conversion(monkeypatch):
    entry = lk.torch_bridge.TorchConversion(
        f"{__name__}.Doubling",
        "torch.nn.Identity",  # wrong on purpose: only the table's use is tested here
        lambda layer, torch, who: torch.nn.Identity(),
        lambda module, who: Doubling(),
    )
    monkeypatch.setattr(lk.torch_bridge, "CONVERSIONS", [*lk.torch_bridge.CONVERSIONS, entry])
    assert isinstance(lk.to_torch(Doubling())[0], nn.Identity)
    assert isinstance(lk.from_torch(nn.Identity())[0], Doubling)
