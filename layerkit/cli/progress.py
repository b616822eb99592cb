"""What ``layerkit train`` shows while it trains and after: a progress bar and a loss chart.

In a terminal a tqdm bar counts the epochs and shows the latest epoch's mean loss; without
one (a log, CI, ``make run``) the mean loss is printed ten times instead. After training,
`sparkline` draws the loss of every epoch as one line of block characters, so the shape of
the curve is visible without opening the ``--plot`` picture.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence

import click
import numpy as np

PROGRESS_INTERVAL = 0.1
"""Seconds between two redraws of the progress bar."""
LOG_LINES = 10
"""Without a terminal, print the loss this many times (and after the first epoch)."""
BLOCKS = "▁▂▃▄▅▆▇█"
"""The eight heights of a sparkline column, lowest first."""


def epoch_reporter(
    epochs: int, *, quiet: bool
) -> tuple[Callable[[int, float, Mapping[str, float] | None], None], object]:
    """Return ``(report, bar)``: call ``report(epoch, mean_loss, extra)`` after each epoch.

    ``bar`` is the tqdm bar, a context manager to close it (a disabled one when there is no
    terminal or ``quiet`` is set). Each logged line reads ``epoch 20/200  epoch-mean loss
    0.0123``: the mean over that epoch's mini-batches, taken while the weights changed; then
    each of ``extra`` by name (``val_loss 0.0145   accuracy 0.98``), as `fit` reports them.
    """
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    # Without a terminal for the bar, print the loss ten times instead (not when quiet).
    log_every = 0 if quiet or not disable else max(1, epochs // LOG_LINES)
    bar = tqdm(
        total=epochs,
        disable=disable,
        unit="epoch",
        desc="training",
        leave=False,
        file=sys.stderr,
        mininterval=PROGRESS_INTERVAL,
    )
    width = len(str(epochs))

    def report(epoch: int, value: float, extra: Mapping[str, float] | None = None) -> None:
        more = "".join(f"   {name} {number:.4g}" for name, number in (extra or {}).items())
        bar.set_postfix_str(f"epoch-mean loss {value:.5g}{more}", refresh=False)
        bar.update(1)
        if log_every and (epoch == 1 or epoch % log_every == 0):
            click.echo(f"epoch {epoch:>{width}}/{epochs}   epoch-mean loss {value:.6g}{more}")

    return report, bar


def sparkline(history: Sequence[float], width: int = 60) -> str:
    """One line of block characters for the losses, high blocks for high losses.

    At most ``width`` columns: a longer history is cut into ``width`` runs of epochs, each
    shown by its mean. The scale is logarithmic when every loss is positive and they span
    more than a factor of ten, so the slow tail of training stays visible.

    Examples
    --------
    >>> sparkline([8.0, 4.0, 2.0, 1.0])
    '█▄▂▁'
    >>> sparkline([1.0, 1e-1, 1e-2, 1e-3])  # a log scale: equal steps per decade
    '█▆▃▁'
    >>> sparkline([0.5, 0.5])
    '▄▄'
    """
    values = np.asarray(history, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return ""
    if values.size > width:
        values = np.array([chunk.mean() for chunk in np.array_split(values, width)])
    if _spans_decades(values):
        values = np.log10(values)
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12 * max(1.0, abs(high)):
        return BLOCKS[len(BLOCKS) // 2 - 1] * values.size
    levels = np.rint((values - low) / (high - low) * (len(BLOCKS) - 1)).astype(int)
    return "".join(BLOCKS[level] for level in levels)


def log_scale(history: Sequence[float]) -> bool:
    """Whether `sparkline` draws ``history`` on a log scale."""
    values = np.asarray(history, dtype=np.float64)
    values = values[np.isfinite(values)]
    return values.size > 0 and _spans_decades(values)


def _spans_decades(values: np.ndarray) -> bool:
    return bool(np.all(values > 0) and values.max() > 10 * values.min())


def loss_chart(history: Sequence[float], width: int = 60) -> list[str]:
    """The lines of the terminal loss chart: the sparkline and its start, minimum and end.

    Examples
    --------
    >>> for line in loss_chart([0.25, 0.1, 0.01, 0.002, 0.001]):
    ...     print(line)
    epoch-mean loss, epochs 1-5 (log scale)
      █▇▄▂▁
      start 0.25   min 0.001 (epoch 5)   end 0.001
    """
    if not history:
        return []
    values = list(history)
    best = int(np.nanargmin(values)) if any(math.isfinite(v) for v in values) else 0
    scale = " (log scale)" if log_scale(values) else ""
    return [
        f"epoch-mean loss, epochs 1-{len(values)}{scale}",
        f"  {sparkline(values, width)}",
        f"  start {values[0]:.4g}   min {values[best]:.4g} (epoch {best + 1})   "
        f"end {values[-1]:.4g}",
    ]
