"""Learning-rate schedules: PyTorch's closed forms per epoch, as callbacks, in checkpoints."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import layerkit as lk
from layerkit.callbacks import Callback
from layerkit.errors import ComponentTypeError, ConfigurationError
from layerkit.schedules import LRScheduler

EPOCHS = 25


def closed_form(kind: str, base_lr: float, epoch: int, **options) -> float:
    """The formulas of torch.optim.lr_scheduler's ``_get_closed_form_lr``, written out."""
    if kind == "step":
        return base_lr * options["gamma"] ** (epoch // options["step_size"])
    if kind == "exponential":
        return base_lr * options["gamma"] ** epoch
    eta_min, t_max = options["eta_min"], options["T_max"]
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2


SCHEDULES = [
    ("step", lk.StepLR, {"step_size": 3, "gamma": 0.5}),
    ("step", lk.StepLR, {"step_size": 1, "gamma": 0.1}),
    ("exponential", lk.ExponentialLR, {"gamma": 0.9}),
    ("cosine", lk.CosineAnnealingLR, {"T_max": 10, "eta_min": 0.001}),
    ("cosine", lk.CosineAnnealingLR, {"T_max": 4, "eta_min": 0.0}),
]


@pytest.mark.parametrize(("kind", "cls", "options"), SCHEDULES, ids=str)
def test_each_step_sets_the_closed_form_of_the_next_epoch(kind, cls, options):
    optimizer = lk.SGD(lr=0.3)
    schedule = cls(optimizer, **options)
    assert (schedule.last_epoch, schedule.base_lr, optimizer.lr) == (0, 0.3, 0.3)
    for epoch in range(1, EPOCHS + 1):
        schedule.step()
        expected = closed_form(kind, 0.3, epoch, **options)
        assert schedule.last_epoch == epoch
        assert optimizer.lr == pytest.approx(expected, rel=1e-15, abs=1e-18)
        assert schedule.get_lr() == optimizer.lr


def test_cosine_reaches_eta_min_at_t_max_and_rises_after():
    optimizer = lk.SGD(lr=1.0)
    schedule = lk.CosineAnnealingLR(optimizer, T_max=5, eta_min=0.2)
    rates = []
    for _ in range(10):
        schedule.step()
        rates.append(optimizer.lr)
    assert rates[4] == pytest.approx(0.2) and rates[9] == pytest.approx(1.0)
    assert rates[:5] == sorted(rates[:5], reverse=True) and rates[5:] == sorted(rates[5:])


@pytest.mark.parametrize(("kind", "cls", "options"), SCHEDULES, ids=str)
def test_on_epoch_end_steps_it_so_fit_can_call_it(kind, cls, options):
    optimizer = lk.SGD(lr=0.3)
    schedule = cls(optimizer, **options)
    assert isinstance(schedule, Callback)
    for epoch in range(1, 6):
        assert schedule.on_epoch_end(epoch, {"loss": 1.0}) is None  # never stops training
    assert schedule.last_epoch == 5
    assert optimizer.lr == pytest.approx(closed_form(kind, 0.3, 5, **options))


def test_the_optimizer_trains_with_the_scheduled_rate():
    """The rate set by the schedule is the one the next update uses."""
    optimizer = lk.SGD(lr=1.0)
    schedule = lk.StepLR(optimizer, step_size=1, gamma=0.5)
    value = np.zeros(1)
    for _ in range(3):
        optimizer.update(value, np.ones(1))
        schedule.step()
    assert value[0] == -(1.0 + 0.5 + 0.25)


@pytest.mark.parametrize(("kind", "cls", "options"), SCHEDULES, ids=str)
def test_state_dict_resumes_a_schedule(kind, cls, options):
    optimizer = lk.SGD(lr=0.3)
    schedule = cls(optimizer, **options)
    for _ in range(7):
        schedule.step()
    state = schedule.state_dict()
    assert state == {"base_lr": 0.3, "last_epoch": 7}
    resumed_optimizer = lk.SGD(lr=123.0)  # whatever lr it was rebuilt with
    resumed = cls(resumed_optimizer, **options)
    resumed.load_state_dict(state)
    assert resumed_optimizer.lr == optimizer.lr
    for _ in range(5):
        schedule.step()
        resumed.step()
        assert resumed_optimizer.lr == optimizer.lr


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"base_lr": 0.1}, "expects a dict with 'base_lr' and 'last_epoch'"),
        (None, "expects a dict with 'base_lr' and 'last_epoch'"),
        ({"base_lr": -0.1, "last_epoch": 2}, "base_lr=-0.1"),
        ({"base_lr": 0.1, "last_epoch": -1}, "last_epoch to be an integer >= 0, got last_epoch=-1"),
        ({"base_lr": 0.1, "last_epoch": 2.5}, "last_epoch=2.5"),
    ],
)
def test_a_bad_state_is_refused_and_changes_nothing(state, message):
    optimizer = lk.SGD(lr=0.3)
    schedule = lk.ExponentialLR(optimizer, gamma=0.5)
    schedule.step()
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        schedule.load_state_dict(state)
    assert (schedule.last_epoch, schedule.base_lr, optimizer.lr) == (1, 0.3, 0.15)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda o: lk.StepLR(o, step_size=0), ConfigurationError, "positive integer step_size"),
        (lambda o: lk.StepLR(o, step_size=2.0), ConfigurationError, "step_size=2.0"),
        (lambda o: lk.StepLR(o, 2, gamma=-0.1), ConfigurationError, "gamma=-0.1"),
        (lambda o: lk.ExponentialLR(o, gamma=math.inf), ConfigurationError, "gamma=inf"),
        (lambda o: lk.CosineAnnealingLR(o, T_max=0), ConfigurationError, "T_max=0"),
        (lambda o: lk.CosineAnnealingLR(o, 5, eta_min=-1), ConfigurationError, "eta_min=-1"),
        (lambda o: lk.StepLR("sgd", 2), ComponentTypeError, "an Optimizer instance"),
    ],
)
def test_bad_options_are_refused(build, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build(lk.SGD(lr=0.1))


def test_repr_shows_the_optimizer_and_options():
    schedule = lk.CosineAnnealingLR(lk.SGD(lr=0.1), T_max=10)
    assert repr(schedule) == (
        "CosineAnnealingLR(SGD(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, "
        "nesterov=False), T_max=10, eta_min=0.0)"
    )


def test_a_schedule_without_get_lr_says_so():
    with pytest.raises(NotImplementedError, match="Halving must implement get_lr"):

        class Halving(LRScheduler):
            pass

        Halving(lk.SGD(lr=0.1)).step()


def test_agrees_with_torch_when_importable():
    torch = pytest.importorskip("torch")
    torch_schedules = {
        lk.StepLR: torch.optim.lr_scheduler.StepLR,
        lk.ExponentialLR: torch.optim.lr_scheduler.ExponentialLR,
        lk.CosineAnnealingLR: torch.optim.lr_scheduler.CosineAnnealingLR,
    }
    for _, cls, options in SCHEDULES:
        optimizer = lk.SGD(lr=0.3)
        schedule = cls(optimizer, **options)
        parameter = torch.nn.Parameter(torch.zeros(1))
        their_optimizer = torch.optim.SGD([parameter], lr=0.3)
        theirs = torch_schedules[cls](their_optimizer, **options)
        for _ in range(EPOCHS):
            their_optimizer.step()
            theirs.step()
            schedule.step()
            assert optimizer.lr == pytest.approx(their_optimizer.param_groups[0]["lr"], rel=1e-12)
