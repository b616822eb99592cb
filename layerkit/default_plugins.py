"""The built-in components, registered through the same hooks as any outside plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .accuracy import Accuracy, BinaryAccuracy, CategoricalAccuracy
from .hookspecs import Register, hookimpl
from .l2loss import L2Loss
from .layer import Layer
from .onnx_nodes import builtin_nodes
from .optim import SGD
from .regression_metrics import MeanAbsoluteError, MeanSquaredError
from .sigmoid import Sigmoid
from .weight_init import GlorotNormal, GlorotUniform, HeNormal, HeUniform, Zeros

if TYPE_CHECKING:
    from .onnx_export import OnnxGraph


@hookimpl
def register_activations(register: Register) -> None:
    """Register the derivation's activation, ``"sigmoid"``."""
    register("sigmoid", Sigmoid)


@hookimpl
def register_losses(register: Register) -> None:
    """Register the derivation's loss, ``"l2"``."""
    register("l2", L2Loss)


@hookimpl
def register_optimizers(register: Register) -> None:
    """Register stochastic gradient descent, ``"sgd"``."""
    register("sgd", SGD)


@hookimpl
def register_initializers(register: Register) -> None:
    """Register Glorot (Xavier) and He (Kaiming), uniform and normal, under the names of both
    Keras and PyTorch, `Dense`'s own ``"glorot"`` and ``"he"``, and ``"zeros"``."""
    # The first name of a class is the one a saved model records for an instance of it.
    register("glorot_uniform", GlorotUniform)
    register("glorot", GlorotUniform)
    register("xavier_uniform", GlorotUniform)
    register("glorot_normal", GlorotNormal)
    register("xavier_normal", GlorotNormal)
    register("he_normal", HeNormal)
    register("he", HeNormal)
    register("kaiming_normal", HeNormal)
    register("he_uniform", HeUniform)
    register("kaiming_uniform", HeUniform)
    register("zeros", Zeros)


@hookimpl
def register_metrics(register: Register) -> None:
    """Register the accuracies (``"accuracy"``, ``"binary_accuracy"``,
    ``"categorical_accuracy"``) and the mean squared and absolute errors (``"mse"``,
    ``"mae"``)."""
    register("accuracy", Accuracy)
    register("binary_accuracy", BinaryAccuracy)
    register("categorical_accuracy", CategoricalAccuracy)
    register("mse", MeanSquaredError)
    register("mae", MeanAbsoluteError)


@hookimpl
def export_onnx_nodes(component: Layer, graph: OnnxGraph, input_name: str) -> str | None:
    """Write `Dense` (``Gemm``), `Sigmoid` and nested `Sequential` models into an ONNX graph."""
    return builtin_nodes(component, graph, input_name)
