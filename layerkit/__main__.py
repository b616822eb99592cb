"""``python -m layerkit``: train the derivation's 2-3-2 sigmoid network and show the loss fall."""

from __future__ import annotations

import numpy as np

from . import SGD, Dense, L2Loss, Sequential, Sigmoid, fit
from .datasets import half_adder


def main() -> None:
    inputs, targets = half_adder()  # targets: (a XOR b, a AND b)
    net = Sequential(Dense(2, 3, seed=0), Sigmoid(), Dense(3, 2, seed=1), Sigmoid())
    print(net)

    def report(epoch: int, loss: float) -> None:
        if epoch == 1 or epoch % 500 == 0:
            print(f"epoch {epoch:5d}   L2 loss {loss:.6f}")

    fit(
        net,
        inputs,
        targets,
        loss=L2Loss(),
        optimizer=SGD(lr=2.0, momentum=0.9),
        epochs=3000,
        batch_size=1,
        seed=0,
        callback=report,
    )
    print("inputs → outputs (targets):")
    for x, y, t in zip(inputs, net(inputs), targets, strict=True):
        print(f"  {x} → {np.round(y, 3)}  ({t})")


if __name__ == "__main__":
    main()
