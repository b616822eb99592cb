"""Every error layerkit raises, in one place.

Each class derives from the built-in exception a Python user would expect
(``ValueError`` or ``TypeError``), so ``except ValueError`` keeps working, and from
[`LayerkitError`][layerkit.errors.LayerkitError], so ``except LayerkitError`` catches them all.
Messages name the component, what it expected and what it received.
"""

from __future__ import annotations

__all__ = [
    "BackwardBeforeForwardError",
    "ConfigurationError",
    "DTypeError",
    "LayerkitError",
    "NonFiniteError",
    "PluginError",
    "ShapeError",
    "TrainingDivergedError",
    "UnknownComponentError",
]


class LayerkitError(Exception):
    """Base class of every error raised by layerkit."""


class ShapeError(LayerkitError, ValueError):
    """An array has the wrong shape for the layer or loss that received it."""


class DTypeError(LayerkitError, TypeError):
    """An argument is not a numeric array, or has a dtype layerkit cannot compute in."""


class NonFiniteError(LayerkitError, ValueError):
    """An array holds NaN or infinity where finite numbers are required."""


class ConfigurationError(LayerkitError, ValueError):
    """A constructor argument is out of range (a size, a learning rate, an option)."""


class BackwardBeforeForwardError(LayerkitError, ValueError):
    """``backward`` was called on a component whose ``forward`` has not run."""


class TrainingDivergedError(NonFiniteError):
    """Training produced a non-finite loss; the parameters keep their last finite values."""


class UnknownComponentError(LayerkitError, ValueError):
    """No registered activation or loss has the requested name."""


class PluginError(LayerkitError, TypeError):
    """A plugin registered something invalid, a name twice, or failed to load."""
