"""Every error layerkit raises, in one place.

Each class derives from the built-in exception a Python user would expect
(``ValueError`` or ``TypeError``), so ``except ValueError`` keeps working, and from
[`LayerkitError`][layerkit.errors.LayerkitError], so ``except LayerkitError`` catches them all.
Messages name the component, what it expected and what it received.
"""

from __future__ import annotations

__all__ = [
    "BackwardBeforeForwardError",
    "ComponentTypeError",
    "ConfigurationError",
    "DTypeError",
    "DataFileError",
    "ExerciseFileError",
    "ExportError",
    "GradientCheckError",
    "LayerkitError",
    "MissingDependencyError",
    "ModelFileError",
    "NamespaceError",
    "NoGradientError",
    "NonFiniteError",
    "PluginError",
    "ShapeError",
    "TargetError",
    "TrainingDivergedError",
    "UnknownComponentError",
    "UnsavableLayerError",
]


class LayerkitError(Exception):
    """Base class of every error raised by layerkit."""


class ShapeError(LayerkitError, ValueError):
    """An array has the wrong shape for the layer or loss that received it."""


class TargetError(LayerkitError, ValueError):
    """A target does not fit the prediction, e.g. a class index outside the classes."""


class DTypeError(LayerkitError, TypeError):
    """An argument is not a numeric array, or has a dtype layerkit cannot compute in."""


class ComponentTypeError(LayerkitError, TypeError):
    """An argument is not the kind of component expected, e.g. a non-layer in a Sequential."""


class NamespaceError(LayerkitError, TypeError):
    """Arrays of two array libraries meet: a model on NumPy given PyTorch tensors, say.

    The message names both libraries and how to move the model (``net.to("torch")``).
    """


class NonFiniteError(LayerkitError, ValueError):
    """An array holds NaN or infinity where finite numbers are required."""


class ConfigurationError(LayerkitError, ValueError):
    """A constructor argument is out of range (a size, a learning rate, an option)."""


class BackwardBeforeForwardError(LayerkitError, ValueError):
    """``backward`` was called on a component whose ``forward`` has not run."""


class NoGradientError(LayerkitError, ValueError):
    """An optimizer was asked to update a parameter that has no gradient.

    Gradients exist from a ``backward`` until a ``backward_step``, which applies its own and
    leaves none stored.
    """


class TrainingDivergedError(NonFiniteError):
    """Training produced a non-finite loss, value, gradient or parameter.

    `fit` has restored the parameters to a copy it took when all were checked finite (the
    message names the epoch it comes from) and reset the optimizer's state.
    """


class ExerciseFileError(LayerkitError, ValueError):
    """An exercise file cannot be written (it exists) or graded (missing, or does not import)."""


class UnknownComponentError(LayerkitError, ValueError):
    """No registered activation or loss has the requested name."""


class PluginError(LayerkitError, TypeError):
    """A plugin registered something invalid, a name twice, or failed to load."""


class ModelFileError(LayerkitError, ValueError):
    """A model file cannot be loaded.

    It is truncated, corrupted, not a layerkit model at all, written in a format version this
    layerkit does not read, or it needs an activation or loss that the registry cannot provide
    (no plugin registers it, two plugins do, or its plugin was set aside). The message names
    the file and the problem.
    """


class UnsavableLayerError(LayerkitError, TypeError):
    """A layer or loss cannot be saved: it is neither built in nor registered by a plugin.

    Also raised when its ``config()`` is not JSON-serialisable. Nothing is written.
    """


class ExportError(LayerkitError, TypeError):
    """A model cannot be exported to ONNX.

    No installed plugin provides ONNX nodes for one of its components (the message names the
    component, its class and the plugin that registers it), the plugins that could were set
    aside because their ``export_onnx_nodes`` hook failed, or a plugin refused an option of
    its component that ONNX cannot express. Nothing is written.
    """


class DataFileError(LayerkitError, ValueError):
    """A data file (CSV or NPZ) cannot be used: a bad number, a ragged row, a missing column."""


class MissingDependencyError(LayerkitError, ImportError):
    """An optional feature needs a package that is not installed.

    The message says how to install it with the pip of the running Python, e.g.
    ``python -m pip install matplotlib`` for plotting.
    Unlike the other errors it derives from ``ImportError``.
    """


class GradientCheckError(LayerkitError, AssertionError):
    """``backward`` disagrees with finite differences (`gradcheck` with ``raise_on_failure``).

    The message has the table of relative errors and names the worst parameter. Derives from
    ``AssertionError``, so pytest shows it as a failed check.
    """
