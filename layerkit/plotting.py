"""Pictures of training as PNG files: the loss curve and a learned decision boundary.

Needs matplotlib (the ``plot`` extra: ``pip install -e ".[plot]"`` from a clone); without it
each function raises `MissingDependencyError` saying so. Figures are drawn with matplotlib's
Agg canvas directly, never through ``pyplot``, so nothing opens a window and no global state
changes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import ConfigurationError, MissingDependencyError, ShapeError
from .install_hints import pip_install
from .layer import Layer

__all__ = ["boundary_path", "plot_decision_boundary", "plot_loss", "require_matplotlib"]

PathLike = str | os.PathLike[str]


def require_matplotlib() -> None:
    """Raise `MissingDependencyError` with the install command unless matplotlib imports."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise MissingDependencyError(
            f"plotting needs matplotlib, which is not installed ({error}); install it with: "
            f"{pip_install('matplotlib')}"
        ) from None


def _figure(width: float, height: float) -> Any:
    """A matplotlib ``Figure`` on the Agg canvas, or `MissingDependencyError`."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def plot_loss(history: Sequence[float], path: PathLike, *, title: str | None = None) -> Path:
    """Write the loss of every epoch as a PNG line plot to ``path``; return the path.

    The y axis is logarithmic when every loss is positive, so the slow tail of training
    stays visible.
    """
    values = np.asarray(history, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ShapeError(f"plot_loss expects a non-empty list of losses, got shape {values.shape}")
    figure = _figure(6.0, 4.0)
    axes = figure.add_subplot()
    epochs = np.arange(1, values.size + 1)
    axes.plot(epochs, values, color="#2b6cb0", linewidth=1.5)
    if np.all(values > 0):
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.set_title(title or f"training loss: {values[0]:.4g} → {values[-1]:.4g}")
    axes.grid(True, alpha=0.3)
    path = Path(path)
    figure.savefig(path, format="png")
    return path


def plot_decision_boundary(
    model: Layer,
    x: ArrayLike,
    path: PathLike,
    *,
    labels: ArrayLike | None = None,
    targets: ArrayLike | None = None,
    output_names: Sequence[str] | None = None,
    resolution: int = 200,
    title: str | None = None,
) -> Path:
    """Write the model's decision regions over two-feature data as a PNG; return the path.

    With ``labels`` (one integer class per sample) the regions are the predicted classes:
    the largest output, or output ≥ ½ for a single output. With ``targets`` of several
    columns that are not one class each (the half adder's two bits), each output gets its own
    panel, split where the output crosses the middle of its targets' range.

    Parameters
    ----------
    model
        The trained network; called on a grid of points covering the data.
    x
        The inputs, shape ``(samples, 2)``, drawn as dots.
    path
        Where to write the PNG.
    labels
        The true class of each sample; give this or ``targets``, not both.
    targets
        The target matrix ``(samples, outputs)``; give this or ``labels``, not both.
    output_names
        Names of the target columns, for the panel titles (with ``targets``).
    resolution
        Grid points along each axis.
    title
        The figure's title.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ShapeError(
            f"plot_decision_boundary needs two input features, got inputs of shape {x.shape}"
        )
    if (labels is None) == (targets is None):
        raise ConfigurationError("plot_decision_boundary expects either labels or targets")
    low, high = x.min(axis=0), x.max(axis=0)
    margin = 0.15 * np.maximum(high - low, 1e-3)
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
        np.linspace(low[1] - margin[1], high[1] + margin[1], resolution),
    )
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    dtype = (
        getattr(model.parameters()[0].value, "dtype", np.float64) if model.parameters() else None
    )
    outputs = np.asarray(model(points.astype(dtype or np.float64)), dtype=np.float64)
    if outputs.ndim == 1:
        outputs = outputs[:, None]

    if labels is not None:
        classes_true = np.asarray(labels).astype(np.int64)
        predicted = _classes(outputs)
        panels = [
            (
                "regions: predicted class; dots: true class",
                predicted,
                classes_true,
                int(max(predicted.max(), classes_true.max())) + 1,
            )
        ]
    else:
        t = np.asarray(targets, dtype=np.float64)
        t = t[:, None] if t.ndim == 1 else t
        panels = []
        for k in range(t.shape[1]):
            middle = 0.5 * (t[:, k].min() + t[:, k].max())
            predicted = (outputs[:, k] >= middle).astype(np.int64)
            true = (t[:, k] >= middle).astype(np.int64)
            output = f"y{_subscript(k + 1)}"
            if output_names is not None and k < len(output_names):
                output = f"{output_names[k]} ({output})"
            panels.append((f"{output} ≥ {middle:.3g}", predicted, true, 2))

    figure = _figure(4.6 * len(panels), 4.2)
    axes_list = figure.subplots(1, len(panels), squeeze=False)[0]
    for axes, (name, predicted, true, count) in zip(axes_list, panels, strict=True):
        levels = np.arange(count + 1) - 0.5
        axes.contourf(
            grid_x,
            grid_y,
            predicted.reshape(grid_x.shape),
            levels=levels,
            cmap="tab10",
            vmin=0,
            vmax=9,
            alpha=0.25,
        )
        axes.contour(
            grid_x,
            grid_y,
            predicted.reshape(grid_x.shape),
            levels=levels,
            colors="#2d3748",
            linewidths=0.8,
        )
        axes.scatter(
            x[:, 0],
            x[:, 1],
            c=true,
            cmap="tab10",
            vmin=0,
            vmax=9,
            s=18,
            edgecolors="#1a202c",
            linewidths=0.5,
        )
        axes.set_title(name)
        axes.set_xlabel("x₁")
        axes.set_ylabel("x₂")
    if title:
        figure.suptitle(title)
    path = Path(path)
    figure.savefig(path, format="png")
    return path


def boundary_path(path: PathLike) -> Path:
    """The file name of the decision-boundary plot that goes with loss plot ``path``.

    Examples
    --------
    >>> from layerkit.plotting import boundary_path
    >>> boundary_path("runs/loss.png").as_posix()
    'runs/loss-boundary.png'
    """
    path = Path(path)
    return path.with_name(f"{path.stem}-boundary{path.suffix or '.png'}")


def _classes(outputs: np.ndarray) -> np.ndarray:
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(outputs, axis=1)


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
