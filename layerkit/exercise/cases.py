"""The cases the checker grades an exercise on: the seed's 2-3-2 numbers and random networks.

Each case is one forward and backward pass of a two-layer sigmoid network (input x, hidden h,
output y, target t, weights w and u, error signals δ⁽¹⁾ and δ⁽²⁾), computed by layerkit's own
layers in float64, for one sample (1-D) or a batch (2-D). Cases come smallest first, so the
first that fails is the smallest failing one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets import half_adder
from ..dense import Dense
from ..explain import WORKED_EXAMPLE
from ..sigmoid import Sigmoid
from ..validation import Array

__all__ = ["Case", "cases"]

LEARNING_RATE = 0.5
"""The η of the ``sgd_update`` cases."""

RANDOM_SHAPES = [
    # (inputs, hidden units, outputs, batch size or None for one sample)
    (1, 1, 1, None),
    (3, 2, 2, None),
    (2, 3, 3, None),
    (1, 2, 1, 2),
    (2, 3, 2, 3),
    (3, 3, 3, 2),
    (4, 5, 3, 5),
]


@dataclass(frozen=True)
class Case:
    """One pass of a two-layer sigmoid network, every array in float64."""

    label: str
    x: Array
    t: Array
    w: Array
    b1: Array
    u: Array
    b2: Array

    @property
    def size(self) -> int:
        """How many numbers the case holds: smaller cases are shown first."""
        return self.x.size + self.t.size + self.w.size + self.u.size

    def numbers(self) -> dict[str, Array]:
        """Every quantity of the pass, named as in the derivation, from layerkit's layers."""
        first = Dense(*self.w.shape, W=self.w, b=self.b1)
        second = Dense(*self.u.shape, W=self.u, b=self.b2)
        hidden, output = Sigmoid(), Sigmoid()
        a1 = first.forward(self.x)
        h = hidden.forward(a1)
        a2 = second.forward(h)
        y = output.forward(a2)
        delta2 = output.backward(y - self.t)  # ∂L/∂a⁽²⁾ for L = ½ Σ (y − t)² per sample
        delta1 = hidden.backward(second.backward(delta2))
        return {
            "x": self.x,
            "t": self.t,
            "w": self.w,
            "u": self.u,
            "a1": a1,
            "h": h,
            "y": y,
            "delta1": delta1,
            "delta2": delta2,
            "dU": second.dW,
            "lr": np.float64(LEARNING_RATE),
        }


def cases() -> list[Case]:
    """The seed's numbers (one sample, then the half adder's batch) and random networks."""
    seed = {name: np.array(value, dtype=np.float64) for name, value in WORKED_EXAMPLE.items()}
    weights = {name: seed[name] for name in ("w", "b1", "u", "b2")}
    inputs, targets = half_adder()
    found = [
        Case("the seed's 2-3-2 numbers, one sample", seed["x"], seed["t"], **weights),
        Case(
            "the seed's 2-3-2 weights on the half adder, a batch of 4", inputs, targets, **weights
        ),
    ]
    rng = np.random.default_rng(15)
    for inputs_, hidden, outputs, batch in RANDOM_SHAPES:
        rows = () if batch is None else (batch,)
        label = "one sample" if batch is None else f"a batch of {batch}"
        found.append(
            Case(
                f"random {inputs_}-{hidden}-{outputs} network, {label}",
                x=rng.normal(size=(*rows, inputs_)),
                t=rng.uniform(size=(*rows, outputs)),
                w=rng.normal(size=(inputs_, hidden)),
                b1=rng.normal(size=hidden),
                u=rng.normal(size=(hidden, outputs)),
                b2=rng.normal(size=outputs),
            )
        )
    return sorted(found, key=lambda case: case.size)
