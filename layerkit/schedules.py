"""Learning-rate schedules: an optimizer's ``lr`` as a function of the epoch, as in PyTorch.

A schedule holds an optimizer and sets its ``lr`` attribute. ``step()`` ends one epoch:
``last_epoch`` goes up by one and ``lr`` becomes the schedule's closed form at that epoch
(PyTorch's ``_get_closed_form_lr``). Each is a `Callback` whose ``on_epoch_end`` calls
``step()``, so it can be given to `fit` among its callbacks; or call ``step()`` yourself after
each epoch, as in a PyTorch loop.
"""

from __future__ import annotations

import math
from typing import Any

from .callbacks import Callback, Logs
from .errors import ComponentTypeError, ConfigurationError
from .optim import Optimizer
from .validation import positive_int, real_number

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "StepLR"]


class LRScheduler(Callback):
    """Base class of the schedules: keeps ``base_lr`` and ``last_epoch``, sets ``lr``.

    A subclass gives ``get_lr()``, the learning rate at epoch ``last_epoch`` in closed form
    from ``base_lr``. At construction ``base_lr`` is the optimizer's ``lr`` and
    ``last_epoch`` is 0 (the learning rate of the first epoch is ``base_lr``).

    Parameters
    ----------
    optimizer
        The optimizer whose ``lr`` the schedule sets.

    Raises
    ------
    ComponentTypeError
        If ``optimizer`` is not a layerkit `Optimizer`.
    """

    binds_optimizer = True  # fit refuses to train another optimizer than the one it sets

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ComponentTypeError(
                f"{type(self).__name__} expects an Optimizer instance such as SGD(lr=0.1), "
                f"got {optimizer!r}"
            )
        self.optimizer = optimizer
        self.base_lr: float = optimizer.lr
        self.last_epoch = 0

    def get_lr(self) -> float:
        """Return the learning rate at epoch ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self) -> None:
        """End an epoch: advance ``last_epoch`` by one and set the optimizer's ``lr``."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()

    def on_epoch_end(self, epoch: int, logs: Logs) -> bool | None:
        """Call ``step()``: the next epoch trains with the next learning rate."""
        self.step()
        return None

    def state_dict(self) -> dict[str, Any]:
        """Return ``{"base_lr": …, "last_epoch": …}``, what a checkpoint needs to resume."""
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``base_lr`` and ``last_epoch`` from `state_dict` and set the optimizer's lr.

        Raises `ConfigurationError` naming the entry if ``state`` lacks one or holds a value
        out of range; nothing is changed then.
        """
        who = f"{type(self).__name__}.load_state_dict"
        try:
            base_lr, last_epoch = state["base_lr"], state["last_epoch"]
        except (KeyError, TypeError) as error:
            raise ConfigurationError(
                f"{who} expects a dict with 'base_lr' and 'last_epoch' (from state_dict()), "
                f"got {state!r}"
            ) from error
        base_lr = real_number(base_lr, who, "base_lr")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < 0:
            raise ConfigurationError(
                f"{who} expects last_epoch to be an integer >= 0, got last_epoch={last_epoch!r}"
            )
        self.base_lr, self.last_epoch = base_lr, last_epoch
        self.optimizer.lr = self.get_lr()

    def _options(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        options = "".join(f", {name}={value!r}" for name, value in self._options().items())
        return f"{type(self).__name__}({self.optimizer!r}{options})"


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr = base_lr · gamma ^ ⌊last_epoch / step_size⌋``

    Parameters
    ----------
    optimizer
        The optimizer whose ``lr`` the schedule sets.
    step_size
        Epochs between two decays; a positive integer.
    gamma
        The factor of each decay, finite and >= 0 (default 0.1).

    Examples
    --------
    >>> from layerkit import SGD, StepLR
    >>> optimizer = SGD(lr=1.0)
    >>> schedule = StepLR(optimizer, step_size=2, gamma=0.5)
    >>> for epoch in range(1, 6):
    ...     print(epoch, optimizer.lr)  # train the epoch with this lr, then:
    ...     schedule.step()
    1 1.0
    2 1.0
    3 0.5
    4 0.5
    5 0.25
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = positive_int(step_size, "StepLR", "step_size")
        self.gamma = real_number(gamma, "StepLR", "gamma")

    def get_lr(self) -> float:
        """Return ``base_lr · gamma ^ ⌊last_epoch / step_size⌋``."""
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)

    def _options(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma}


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    ``lr = base_lr · gamma ^ last_epoch``

    Parameters
    ----------
    optimizer
        The optimizer whose ``lr`` the schedule sets.
    gamma
        The factor per epoch, finite and >= 0.

    Examples
    --------
    >>> from layerkit import SGD, ExponentialLR
    >>> optimizer = SGD(lr=0.5)
    >>> schedule = ExponentialLR(optimizer, gamma=0.5)
    >>> schedule.step(); schedule.step()
    >>> optimizer.lr, schedule.last_epoch
    (0.125, 2)
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = real_number(gamma, "ExponentialLR", "gamma")

    def get_lr(self) -> float:
        """Return ``base_lr · gamma ^ last_epoch``."""
        return self.base_lr * self.gamma**self.last_epoch

    def _options(self) -> dict[str, Any]:
        return {"gamma": self.gamma}


class CosineAnnealingLR(LRScheduler):
    """Lower the learning rate from ``base_lr`` to ``eta_min`` along half a cosine in ``T_max``
    epochs (SGDR without restarts; Loshchilov & Hutter, 2017).

    ``lr = eta_min + (base_lr − eta_min) · (1 + cos(π · last_epoch / T_max)) / 2``

    After ``T_max`` epochs the formula goes on, and the learning rate rises again along the
    cosine, as PyTorch's closed form does.

    Parameters
    ----------
    optimizer
        The optimizer whose ``lr`` the schedule sets.
    T_max
        The epochs of the half period; a positive integer.
    eta_min
        The lowest learning rate, finite and >= 0 (default 0).

    Examples
    --------
    >>> from layerkit import SGD, CosineAnnealingLR
    >>> optimizer = SGD(lr=1.0)
    >>> schedule = CosineAnnealingLR(optimizer, T_max=4, eta_min=0.1)
    >>> rates = []
    >>> for _ in range(4):
    ...     schedule.step()
    ...     rates.append(round(optimizer.lr, 4))
    >>> rates
    [0.8682, 0.55, 0.2318, 0.1]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        self.T_max = positive_int(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = real_number(eta_min, "CosineAnnealingLR", "eta_min")

    def get_lr(self) -> float:
        """Return ``eta_min + (base_lr − eta_min) · (1 + cos(π · last_epoch / T_max)) / 2``."""
        cosine = math.cos(math.pi * self.last_epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cosine) / 2.0

    def _options(self) -> dict[str, Any]:
        return {"T_max": self.T_max, "eta_min": self.eta_min}
