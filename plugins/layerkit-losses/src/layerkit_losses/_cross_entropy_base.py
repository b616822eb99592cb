"""What the two cross-entropies share: a prediction of probabilities, or of logits."""

from __future__ import annotations

from typing import Any

from layerkit import Loss
from layerkit.loss import Reduction
from layerkit.validation import Array

from ._checks import flag


class CrossEntropyBase(Loss):
    """A loss of probabilities p, given as ``y = p`` or, with ``from_logits=True``, as logits.

    Keeps for ``backward`` the probabilities ``_p``, the targets ``_t``, where clipping left a
    probability alone (``_inside``, probabilities only) and the batch scale.
    """

    def __init__(self, *, from_logits: bool = False, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self.from_logits = flag(from_logits, type(self).__name__, "from_logits")
        self._p: Array | None = None
        self._t: Array | None = None
        self._inside: Array | None = None
        self._scale = 1.0

    def config(self) -> dict[str, Any]:
        """Return ``{"from_logits": …, "reduction": …}``."""
        return {"from_logits": self.from_logits, **super().config()}
