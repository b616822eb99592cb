"""Data for the command line: the built-in data sets and the user's CSV or NPZ files.

A CSV file has a header row of column names; an NPZ file holds named arrays (1-D arrays are
columns, a 2-D array is a block of columns). The target columns are chosen by name and every
other column is an input feature. A single target column of integers or of words is a class
label (classification); numbers with a decimal point are values to fit (regression); several
columns of 0/1 are independent bits, like the half adder's.
"""

from __future__ import annotations

import csv
import difflib
import inspect
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from .. import datasets
from ..errors import DataFileError, UnknownComponentError

__all__ = [
    "BUILTIN",
    "Dataset",
    "Table",
    "Task",
    "load_dataset",
    "load_inputs",
    "read_table",
]

Task = Literal["classification", "regression", "bits"]
"""What the targets are: class labels, values, or independent 0/1 outputs."""

BUILTIN = ("half_adder", *sorted(datasets.DATASETS))
"""The names ``--data`` accepts besides a file."""

_DEFAULT_TARGETS = ("y", "target", "label", "labels", "class")


@dataclass
class Dataset:
    """Inputs and targets, with the names the command line shows and saves."""

    name: str
    x: NDArray[np.float64]
    """Inputs, ``(samples, features)``."""
    task: Task
    values: NDArray[np.float64] | None = None
    """The targets for regression and bits, ``(samples, outputs)``."""
    labels: NDArray[np.int64] | None = None
    """The class of each sample (from 0) for classification."""
    classes: list[str] = field(default_factory=list)
    """The class names, in label order, for classification."""
    features: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)

    @property
    def outputs(self) -> int:
        """The number of network outputs the targets ask for (one per class, or per column)."""
        if self.task == "classification":
            return len(self.classes)
        assert self.values is not None
        return self.values.shape[1]


@dataclass
class Table:
    """The columns of a data file, by name, with the file line of each row (CSV only)."""

    path: Path
    columns: dict[str, np.ndarray]
    """Name → a ``(rows,)`` array (strings for CSV) or a ``(rows, k)`` block (NPZ)."""
    lines: list[int] | None = None

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values())))

    def where(self, row: int) -> str:
        """``"data.csv, line 7"``: where a row came from, for messages."""
        if self.lines is None:
            return f"{self.path}, row {row + 1}"
        return f"{self.path}, line {self.lines[row]}"

    def numeric(self, name: str) -> NDArray[np.float64]:
        """The column ``name`` as finite floats, ``(rows, k)``; `DataFileError` otherwise."""
        column = self.columns[name]
        if column.dtype.kind in "biuf":
            values = column.astype(np.float64)
            if not np.all(np.isfinite(values)):
                row = int(np.argwhere(~np.isfinite(values.reshape(len(values), -1)))[0][0])
                raise DataFileError(f"{self.where(row)}: column {name!r} holds NaN or infinity")
            return values.reshape(len(values), -1)
        if column.dtype.kind not in "US":
            raise DataFileError(
                f"{self.path}: column {name!r} has dtype {column.dtype}, not numbers"
            )
        values = np.empty(len(column), dtype=np.float64)
        for row, text in enumerate(column.tolist()):
            values[row] = _number(text, lambda row=row: f"{self.where(row)}, column {name!r}")
        return values[:, None]


def _number(text: str | bytes, where: object) -> float:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        value = float(text)
    except ValueError:
        shown = text if text.strip() else "an empty field"
        raise DataFileError(f"{where()}: {shown!r} is not a number") from None  # type: ignore[operator]
    if not math.isfinite(value):
        raise DataFileError(f"{where()}: {text!r} is not a finite number")  # type: ignore[operator]
    return value


# -------------------------------------------------------------------------------- reading
def read_table(path: str | Path) -> Table:
    """Read a CSV (header row, comma-separated; tab for ``.tsv``) or an NPZ file.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    DataFileError
        When the file cannot be parsed: ragged rows, no header, no rows, not UTF-8, an NPZ
        that is corrupted or holds arrays of different lengths.
    """
    path = Path(path)
    with path.open("rb") as file:  # FileNotFoundError and friends as they are
        start = file.read(4)
    if path.suffix.lower() == ".npz" or start.startswith(b"PK"):
        return _read_npz(path)
    if start.startswith(b"\x93NUMPY"):
        raise DataFileError(f"{path} is a single .npy array; save named arrays with np.savez")
    return _read_csv(path)


def _read_csv(path: Path) -> Table:
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file, delimiter=delimiter, strict=True)
            header: list[str] | None = None
            rows: list[list[str]] = []
            lines: list[int] = []
            for record in reader:
                if not record or all(not field.strip() for field in record):
                    continue  # blank line
                if header is None:
                    header = [name.strip() for name in record]
                    _check_header(path, header, reader.line_num)
                    continue
                if len(record) != len(header):
                    raise DataFileError(
                        f"{path}, line {reader.line_num}: expected {len(header)} fields "
                        f"(one per column of the header), got {len(record)}"
                    )
                rows.append([field.strip() for field in record])
                lines.append(reader.line_num)
    except UnicodeDecodeError as error:
        raise DataFileError(f"{path} is not UTF-8 text ({error.reason}); is it a CSV?") from None
    except csv.Error as error:
        raise DataFileError(f"{path}: not a valid CSV file ({error})") from None
    if header is None:
        raise DataFileError(f"{path} is empty: expected a header row of column names")
    if not rows:
        raise DataFileError(f"{path} has a header but no data rows")
    columns = {name: np.array([row[i] for row in rows]) for i, name in enumerate(header)}
    return Table(path, columns, lines)


def _check_header(path: Path, header: list[str], line: int) -> None:
    for position, name in enumerate(header):
        if not name:
            raise DataFileError(f"{path}, line {line}: column {position + 1} has no name")
        try:
            float(name)
        except ValueError:
            continue
        raise DataFileError(
            f"{path}, line {line}: the first row must name the columns, but its field "
            f"{position + 1} is the number {name!r}"
        )
    seen = set()
    for name in header:
        if name in seen:
            raise DataFileError(f"{path}, line {line}: column {name!r} appears twice")
        seen.add(name)


def _read_npz(path: Path) -> Table:
    data = path.read_bytes()
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            columns = {name: archive[name] for name in archive.files}
    except Exception as error:  # the bytes are in memory: any failure means a bad file
        raise DataFileError(
            f"{path} cannot be read as an .npz archive ({type(error).__name__}: {error})"
        ) from None
    if not columns:
        raise DataFileError(f"{path} holds no arrays")
    lengths = set()
    for name, array in columns.items():
        if array.ndim not in (1, 2):
            raise DataFileError(
                f"{path}: array {name!r} has shape {array.shape}; expected one value per row "
                f"(1-D) or a block of columns (2-D)"
            )
        lengths.add(len(array))
    if len(lengths) != 1:
        shapes = ", ".join(f"{name} {array.shape}" for name, array in columns.items())
        raise DataFileError(f"{path}: arrays of different lengths ({shapes})")
    if 0 in lengths:
        raise DataFileError(f"{path} has no rows")
    return Table(path, columns)


# ------------------------------------------------------------------------------ data sets
def load_dataset(
    spec: str,
    *,
    targets: Sequence[str] = (),
    task: Task | None = None,
    samples: int | None = None,
    seed: int | None = None,
) -> Dataset:
    """Return the built-in data set ``spec`` (seeded) or the data in file ``spec``.

    Raises
    ------
    UnknownComponentError
        When ``spec`` is neither a built-in data set nor an existing file.
    DataFileError
        When the file's columns do not fit (a missing target column, no features, ...).
    """
    if spec in BUILTIN:
        if targets:
            raise DataFileError(
                f"--target names a column of a data file; the built-in data set {spec!r} has "
                f"its own targets"
            )
        return _builtin(spec, samples, seed)
    path = Path(spec)
    if not spec.strip() or not path.exists():
        if spec.strip() and (path.suffix or len(path.parts) > 1):
            raise FileNotFoundError(f"data file {spec!r} not found")
        close = difflib.get_close_matches(spec.lower(), BUILTIN, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UnknownComponentError(
            f"no data set named {spec!r}: {hint}built-in data sets are {', '.join(BUILTIN)}; "
            f"or give a CSV or NPZ file"
        )
    if path.is_dir():
        raise DataFileError(f"{spec} is a directory; expected a CSV or NPZ file")
    if samples is not None:
        raise DataFileError("--samples sets the size of a built-in data set, not of a file")
    table = read_table(path)
    return _from_table(table, list(targets), task)


def _builtin(name: str, samples: int | None, seed: int | None) -> Dataset:
    if name == "half_adder":
        if samples is not None:
            raise DataFileError("the half adder has exactly four samples; drop --samples")
        x, t = datasets.half_adder()
        return Dataset(name, x, "bits", values=t, features=["a", "b"], targets=["sum", "carry"])
    options: dict[str, object] = {"seed": seed}
    if samples is not None:
        options["samples"] = samples
    x, labels = datasets.load(name, **options)
    # Every class of the generator, also those a small --samples happens not to draw.
    count = inspect.signature(datasets.DATASETS[name]).parameters.get("classes")
    classes = [str(c) for c in range(count.default if count else 2)]
    return Dataset(
        name,
        x,
        "classification",
        labels=labels,
        classes=classes,
        features=["x1", "x2"],
        targets=["label"],
    )


def _from_table(table: Table, targets: list[str], task: Task | None) -> Dataset:
    names = list(table.columns)
    if not targets:
        found = [name for name in _DEFAULT_TARGETS if name in table.columns]
        if not found:
            raise DataFileError(
                f"{table.path}: name the target column(s) with --target; its columns: "
                f"{', '.join(names)}"
            )
        targets = found[:1]
    for name in targets:
        if name not in table.columns:
            raise DataFileError(
                f"{table.path} has no column {name!r} to use as target; its columns: "
                f"{', '.join(names)}"
            )
    features = [name for name in names if name not in targets]
    if not features:
        raise DataFileError(f"{table.path}: every column is a target; no input features left")
    x_blocks = [table.numeric(name) for name in features]
    x = np.concatenate(x_blocks, axis=1)
    feature_names = _expand(features, x_blocks)

    if task is None:
        task = _guess_task(table, targets)
    if task == "classification":
        if len(targets) != 1 or table.columns[targets[0]].ndim != 1:
            raise DataFileError(
                f"{table.path}: classification needs one column of class labels, got "
                f"{', '.join(targets)}"
            )
        labels, classes = _labels(table, targets[0])
        return Dataset(
            str(table.path),
            x,
            "classification",
            labels=labels,
            classes=classes,
            features=feature_names,
            targets=targets,
        )
    blocks = [table.numeric(name) for name in targets]
    values = np.concatenate(blocks, axis=1)
    if task == "bits" and not np.all((values == 0) | (values == 1)):
        raise DataFileError(f"{table.path}: --task bits needs targets that are all 0 or 1")
    return Dataset(
        str(table.path),
        x,
        task,
        values=values,
        features=feature_names,
        targets=_expand(targets, blocks),
    )


def _expand(names: list[str], blocks: list[NDArray[np.float64]]) -> list[str]:
    """Column names, with ``name0, name1, ...`` for a 2-D block of an NPZ."""
    expanded = []
    for name, block in zip(names, blocks, strict=True):
        if block.shape[1] == 1:
            expanded.append(name)
        else:
            expanded.extend(f"{name}{i}" for i in range(block.shape[1]))
    return expanded


def _guess_task(table: Table, targets: list[str]) -> Task:
    if len(targets) == 1:
        column = table.columns[targets[0]]
        if column.ndim == 1 and (column.dtype.kind in "biuUS" and _integers_or_words(column)):
            return "classification"
    values = np.concatenate([table.numeric(name) for name in targets], axis=1)
    if values.shape[1] > 1 and np.all((values == 0) | (values == 1)):
        return "bits"
    return "regression"


def _integers_or_words(column: np.ndarray) -> bool:
    if column.dtype.kind in "biu":
        return True
    texts = [str(value) for value in column.tolist()]
    numbers = 0
    for text in texts:
        try:
            float(text)
        except ValueError:
            continue
        numbers += 1
        if not text.lstrip("+-").isdigit():
            return False  # a number with a decimal point or exponent: a value to fit
    return True  # integers only, words only, or words mixed with integers


def _labels(table: Table, name: str) -> tuple[NDArray[np.int64], list[str]]:
    column = table.columns[name]
    if column.dtype.kind in "biu":
        keys: list[object] = [int(value) for value in column.tolist()]
    else:
        texts = [str(value) for value in column.tolist()]
        for row, text in enumerate(texts):
            if not text:
                raise DataFileError(f"{table.where(row)}, column {name!r}: empty class label")
        as_int = all(text.lstrip("+-").isdigit() for text in texts)
        keys = [int(text) for text in texts] if as_int else list(texts)
    distinct = sorted(set(keys))  # type: ignore[type-var]
    if len(distinct) < 2:
        raise DataFileError(
            f"{table.path}: column {name!r} has only one class ({distinct[0]!r}); nothing to learn"
        )
    index = {key: position for position, key in enumerate(distinct)}
    labels = np.array([index[key] for key in keys], dtype=np.int64)
    return labels, [str(key) for key in distinct]


def load_inputs(
    path: str | Path,
    *,
    inputs: int,
    features: Sequence[str] = (),
    targets: Sequence[str] = (),
) -> tuple[NDArray[np.float64], list[str]]:
    """Read the input columns for a model with ``inputs`` inputs from a CSV or NPZ file.

    The columns named ``features`` (those the model was trained on) are used when the file
    has them all; otherwise every column except ``targets``, in file order.

    Returns
    -------
    tuple of (numpy.ndarray, list of str)
        The inputs ``(rows, inputs)`` and their column names.
    """
    table = read_table(path)
    expanded: dict[str, tuple[str, int]] = {}
    for name, column in table.columns.items():
        width = 1 if column.ndim == 1 else column.shape[1]
        for i in range(width):
            expanded[name if width == 1 else f"{name}{i}"] = (name, i)
    if features and all(name in expanded for name in features):
        chosen = list(features)
    else:
        chosen = [
            name
            for name, (column, _) in expanded.items()
            if name not in targets and column not in targets
        ]
    if len(chosen) != inputs:
        wanted = f" ({', '.join(features)})" if features else ""
        raise DataFileError(
            f"the model expects {inputs} input columns{wanted}, but {table.path} has "
            f"{len(chosen)} to use: {', '.join(chosen) or 'none'}"
        )
    numeric = {name: table.numeric(name) for name in {expanded[c][0] for c in chosen}}
    x = np.column_stack([numeric[expanded[c][0]][:, expanded[c][1]] for c in chosen])
    return x, chosen
