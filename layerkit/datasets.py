"""Small generated data sets for examples, tests and the command line; all seeded.

Each generator returns ``(x, labels)``: inputs of shape ``(samples, 2)`` in float64 and
integer class labels of shape ``(samples,)``, except `half_adder`, whose targets are the two
output bits. `one_hot` turns labels into the targets an L2 or cross-entropy loss expects.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import ConfigurationError, LayerkitError, UnknownComponentError
from .validation import positive_int, random_seed, real_number

__all__ = [
    "DATASETS",
    "blobs",
    "circles",
    "half_adder",
    "load",
    "moons",
    "one_hot",
    "spirals",
    "xor",
]

Seed = int | np.random.Generator | None
Data = tuple[NDArray[np.float64], NDArray[np.int64]]


def _memory_checked(generator: Callable[..., Data]) -> Callable[..., Data]:
    """Turn NumPy's errors for too many samples into a `ConfigurationError` saying so."""

    @functools.wraps(generator)
    def generate(*args: Any, **options: Any) -> Data:
        try:
            return generator(*args, **options)
        except LayerkitError:
            raise  # a bad option, refused by the generator's own checks
        except (MemoryError, ValueError) as error:  # the options are checked: only the size
            samples = options.get("samples", args[0] if args else "the default")
            raise ConfigurationError(
                f"{generator.__name__} cannot make samples={samples!r}: more than fits in "
                f"memory ({type(error).__name__}: {error}); ask for fewer samples"
            ) from error

    return generate


def half_adder() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The four rows of a half adder: inputs (a, b), targets (a XOR b, a AND b).

    The derivation's 2-3-2 network learns it: two inputs, two outputs, and the XOR output
    needs the hidden layer.
    """
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    t = np.array([[0, 0], [1, 0], [1, 0], [0, 1]], dtype=np.float64)
    return x, t


@_memory_checked
def xor(samples: int = 200, noise: float = 0.1, seed: Seed = None) -> Data:
    """Points scattered around the four corners of the unit square, labelled a XOR b."""
    rng, samples = _start(samples, noise, seed, "xor")
    corners = rng.integers(0, 2, size=(samples, 2))
    x = corners + rng.normal(0.0, noise, size=(samples, 2))
    return x, (corners[:, 0] ^ corners[:, 1]).astype(np.int64)


@_memory_checked
def moons(samples: int = 200, noise: float = 0.1, seed: Seed = None) -> Data:
    """Two interleaved half circles."""
    rng, samples = _start(samples, noise, seed, "moons")
    labels = np.arange(samples) % 2
    angle = rng.uniform(0.0, np.pi, size=samples)
    x = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    x[labels == 1] = np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)[labels == 1]
    return x + rng.normal(0.0, noise, size=x.shape), labels.astype(np.int64)


@_memory_checked
def circles(samples: int = 200, noise: float = 0.05, seed: Seed = None) -> Data:
    """A ring around a disc: class 0 at radius 1, class 1 at radius 0.5."""
    rng, samples = _start(samples, noise, seed, "circles")
    labels = np.arange(samples) % 2
    angle = rng.uniform(0.0, 2 * np.pi, size=samples)
    radius = np.where(labels == 0, 1.0, 0.5)
    x = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return x + rng.normal(0.0, noise, size=x.shape), labels.astype(np.int64)


@_memory_checked
def spirals(samples: int = 300, classes: int = 3, noise: float = 0.1, seed: Seed = None) -> Data:
    """``classes`` interleaved spiral arms, the classic test for a non-linear classifier."""
    rng, samples = _start(samples, noise, seed, "spirals")
    classes = _classes(classes, "spirals")
    labels = np.arange(samples) % classes
    radius = rng.uniform(0.05, 1.0, size=samples)
    angle = labels * 2 * np.pi / classes + 4.0 * radius + rng.normal(0.0, noise, size=samples)
    x = radius[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    return x, labels.astype(np.int64)


@_memory_checked
def blobs(samples: int = 300, classes: int = 3, noise: float = 0.3, seed: Seed = None) -> Data:
    """``classes`` Gaussian clusters with centres evenly spaced on a circle of radius 2."""
    rng, samples = _start(samples, noise, seed, "blobs")
    classes = _classes(classes, "blobs")
    labels = np.arange(samples) % classes
    angle = 2 * np.pi * labels / classes
    centres = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + rng.normal(0.0, noise, size=(samples, 2)), labels.astype(np.int64)


def one_hot(labels: NDArray[np.integer], classes: int | None = None) -> NDArray[np.float64]:
    """Return ``(samples, classes)`` targets with a 1 in each label's column.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit.datasets import one_hot
    >>> one_hot(np.array([0, 2, 1]))
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    try:
        labels = np.asarray(labels)
    except ValueError as error:  # a ragged list
        raise ConfigurationError(f"one_hot expects a 1-D array of labels: {error}") from error
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or (labels.size and labels.min() < 0):
        raise ConfigurationError(
            f"one_hot expects a 1-D array of non-negative integer labels, got dtype "
            f"{labels.dtype} with shape {labels.shape}"
        )
    if classes is None and labels.size == 0:
        raise ConfigurationError("one_hot got no labels; pass classes to say how many there are")
    classes = (
        int(labels.max()) + 1 if classes is None else positive_int(classes, "one_hot", "classes")
    )
    if labels.size and labels.max() >= classes:
        raise ConfigurationError(f"one_hot got label {labels.max()} for only {classes} classes")
    try:
        targets = np.zeros((len(labels), classes))
    except (MemoryError, ValueError) as error:
        raise ConfigurationError(
            f"one_hot cannot make {len(labels)} rows of {classes} classes: more than fits in "
            f"memory ({error})"
        ) from error
    targets[np.arange(len(labels)), labels] = 1.0
    return targets


DATASETS: dict[str, Callable[..., Data]] = {
    "xor": xor,
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
    "blobs": blobs,
}
"""The generated classification data sets by name."""


def load(name: str, **options: object) -> Data:
    """Return the generated data set ``name`` (see `DATASETS`) built with ``options``.

    Examples
    --------
    >>> from layerkit.datasets import load
    >>> x, labels = load("spirals", samples=6, seed=0)
    >>> x.shape, labels.tolist()
    ((6, 2), [0, 1, 2, 0, 1, 2])
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise UnknownComponentError(
            f"no data set named {name!r}; available: {', '.join(sorted(DATASETS))}"
        )
    generator = DATASETS[name]
    accepted = inspect.signature(generator).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigurationError(
            f"data set {name!r} has no option {', '.join(map(repr, unknown))}; "
            f"it takes {', '.join(accepted)}"
        )
    return generator(**options)


def _start(samples: int, noise: float, seed: Seed, who: str) -> tuple[np.random.Generator, int]:
    samples = positive_int(samples, who, "samples")
    real_number(noise, who, "noise")
    return np.random.default_rng(random_seed(seed, who)), samples


def _classes(classes: int, who: str) -> int:
    classes = positive_int(classes, who, "classes")
    if classes < 2:
        raise ConfigurationError(f"{who} expects at least 2 classes, got classes={classes}")
    if classes > np.iinfo(np.int64).max:  # the labels are int64
        raise ConfigurationError(
            f"{who} expects at most {np.iinfo(np.int64).max} classes (its labels are int64), "
            f"got a number of {len(str(classes))} digits"
        )
    return classes
