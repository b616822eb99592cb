"""layerkit: a small, exact, fast neural-network layer framework on NumPy.

Layers (`Dense`, `Sigmoid`, and any `Layer` subclass) implement ``forward`` and
``backward``; `Sequential` chains them so that backward runs the δ recursion of
backpropagation at any depth; a `Loss` such as `L2Loss` starts the recursion and an
optimizer such as `SGD` applies the gradients.

Examples
--------
>>> import numpy as np
>>> import layerkit as lk
>>> net = lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 2, seed=1), lk.Sigmoid())
>>> x, t = np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])
>>> loss = lk.L2Loss()
>>> before = loss(net(x), t)
>>> _ = net.backward(loss.backward())
>>> lk.SGD(lr=0.5).step(net)
>>> loss(net(x), t) < before
True
"""

from . import datasets, errors
from .accuracy import Accuracy, BinaryAccuracy, CategoricalAccuracy
from .activation import Activation
from .callbacks import Callback
from .dense import Dense
from .early_stopping import EarlyStopping
from .gradcheck import gradcheck
from .history import History
from .hookspecs import hookimpl
from .initializer import Initializer
from .l2loss import L2Loss
from .layer import Layer, Parameter
from .loss import Loss
from .metric import Metric
from .mlp import mlp
from .model_checkpoint import ModelCheckpoint
from .onnx_export import export_onnx
from .optim import SGD, Optimizer
from .registry import (
    Component,
    activation,
    activations,
    failed_plugins,
    initializer,
    initializers,
    loss,
    losses,
    metric,
    metrics,
    optimizer,
    optimizers,
    plugin_manager,
)
from .regression_metrics import MeanAbsoluteError, MeanSquaredError
from .schedules import CosineAnnealingLR, ExponentialLR, StepLR
from .sequential import Sequential
from .serialization import Checkpoint, load, save
from .sigmoid import Sigmoid
from .torch_bridge import from_torch, to_torch
from .training import fit
from .validation import trusted_inputs
from .weight_init import GlorotNormal, GlorotUniform, HeNormal, HeUniform, Zeros

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Accuracy",
    "Activation",
    "BinaryAccuracy",
    "Callback",
    "CategoricalAccuracy",
    "Checkpoint",
    "Component",
    "CosineAnnealingLR",
    "Dense",
    "EarlyStopping",
    "ExponentialLR",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "History",
    "Initializer",
    "L2Loss",
    "Layer",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "ModelCheckpoint",
    "Optimizer",
    "Parameter",
    "Sequential",
    "Sigmoid",
    "StepLR",
    "Zeros",
    "__version__",
    "activation",
    "activations",
    "datasets",
    "errors",
    "export_onnx",
    "failed_plugins",
    "fit",
    "from_torch",
    "gradcheck",
    "hookimpl",
    "initializer",
    "initializers",
    "load",
    "loss",
    "losses",
    "metric",
    "metrics",
    "mlp",
    "optimizer",
    "optimizers",
    "plugin_manager",
    "save",
    "to_torch",
    "trusted_inputs",
]
