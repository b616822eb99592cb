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
from numpy.typing import ArrayLike, NDArray

from .errors import ConfigurationError, LayerkitError, ShapeError, UnknownComponentError
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
    "split",
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


def split(
    x: ArrayLike, t: ArrayLike, fraction: float = 0.2, *, seed: Seed = None, stratify: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hold out ``fraction`` of the samples for validation: ``x_train, t_train, x_val, t_val``.

    The held-out samples are drawn at random from ``seed``. With ``stratify`` (default) and
    targets that are class labels (integers, one per sample) or one-hot rows, each class is
    split on its own, so both parts keep the classes' proportions; other targets are split as
    one group. Both parts keep the samples' original order.

    Raises
    ------
    ConfigurationError
        When ``fraction`` is not in (0, 1) or would leave either part empty.
    ShapeError
        When ``x`` and ``t`` do not have as many samples.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit.datasets import split
    >>> x, labels = np.arange(10.0)[:, None], np.array([0] * 5 + [1] * 5)
    >>> x_train, t_train, x_val, t_val = split(x, labels, 0.4, seed=0)
    >>> len(x_train), len(x_val), t_val.tolist()
    (6, 4, [0, 0, 1, 1])
    """
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim == 0 or t.ndim == 0 or len(x) != len(t):
        raise ShapeError(
            f"split expects as many targets as samples, got x of shape {x.shape} and t of "
            f"shape {t.shape}"
        )
    fraction = real_number(fraction, "split", "fraction")
    if not 0.0 < fraction < 1.0:
        raise ConfigurationError(f"split expects fraction in (0, 1), got fraction={fraction!r}")
    rng = np.random.default_rng(random_seed(seed, "split"))
    everything = np.arange(len(x))
    classes = _class_of_each(t) if stratify else None
    groups = (
        [everything]
        if classes is None
        else [np.flatnonzero(classes == label) for label in np.unique(classes)]
    )
    held = np.sort(
        np.concatenate([rng.permutation(group)[: round(fraction * len(group))] for group in groups])
    )
    if len(held) == 0 or len(held) == len(x):
        raise ConfigurationError(
            f"split of {len(x)} samples with fraction={fraction:g} holds out {len(held)}: "
            f"leave at least one sample on each side"
        )
    kept = np.setdiff1d(everything, held)
    return x[kept], t[kept], x[held], t[held]


def _class_of_each(t: np.ndarray) -> np.ndarray | None:
    """Each sample's class when ``t`` holds class labels or one-hot rows, else None."""
    if t.ndim == 1 and t.dtype.kind in "iub":
        return t
    if t.ndim == 2 and t.shape[1] > 1 and np.isin(t, (0, 1)).all() and (t.sum(axis=1) == 1).all():
        return t.argmax(axis=1)
    return None


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
