"""Checkpoints resume exactly: 3 epochs, saved, loaded, resumed to 6 equals 6 epochs at once.

For every registered optimizer with its default options (a learning rate where it has no
default) and for SGD with momentum: the parameters and every epoch's loss are bit for bit
those of the uninterrupted run. The optimizer's state and the skipped epochs' permutations
are what make this hold: without either, the runs part.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from training_support import assert_same_weights, blobs, network, weights_of

import layerkit as lk

pytestmark = pytest.mark.guarantee("training")

EPOCHS, SAVED_AT = 6, 3
TRAINING = {"loss": "l2", "batch_size": 5, "seed": 11}


def default_options(name: str) -> dict:
    """The optimizer's defaults, with lr=0.1 when it has no default learning rate."""
    signature = inspect.signature(lk.optimizers()[name].cls)
    lr = signature.parameters.get("lr")
    return {"lr": 0.1} if lr is not None and lr.default is inspect.Parameter.empty else {}


CASES = [pytest.param(name, default_options(name), id=name) for name in sorted(lk.optimizers())] + [
    pytest.param("sgd", {"lr": 0.5, "momentum": 0.9}, id="sgd-momentum")
]


def uninterrupted(name, options, dtype=np.float64):
    x, t = blobs()
    net = network(dtype=dtype)
    history = lk.fit(
        net, x.astype(dtype), t, optimizer=lk.optimizer(name, **options), epochs=EPOCHS, **TRAINING
    )
    return net, list(history)


@pytest.mark.parametrize(("name", "options"), CASES)
def test_a_resumed_run_equals_the_uninterrupted_one_bit_for_bit(tmp_path, name, options):
    expected_net, expected_losses = uninterrupted(name, options)
    x, t = blobs()
    net, optimizer = network(), lk.optimizer(name, **options)
    first = lk.fit(net, x, t, optimizer=optimizer, epochs=SAVED_AT, **TRAINING)
    lk.save(net, tmp_path / "checkpoint.npz", optimizer=optimizer, epoch=SAVED_AT)
    del net, optimizer

    model, optimizer, epoch = lk.load(tmp_path / "checkpoint.npz", with_optimizer=True)
    assert epoch == SAVED_AT and type(optimizer) is lk.optimizers()[name].cls
    rest = lk.fit(model, x, t, optimizer=optimizer, epochs=EPOCHS, initial_epoch=epoch, **TRAINING)
    assert list(first) + list(rest) == expected_losses
    assert rest.epoch == [4, 5, 6]
    assert_same_weights(model, weights_of(expected_net))


def test_model_checkpoint_saves_every_epoch_and_resumes_exactly(tmp_path):
    options = {"lr": 0.5, "momentum": 0.9}
    expected_net, expected_losses = uninterrupted("sgd", options, dtype=np.float32)
    x, t = blobs()
    net = network(dtype=np.float32)
    saver = lk.ModelCheckpoint(tmp_path / "run-{epoch:02d}.npz")
    lk.fit(net, x.astype(np.float32), t, optimizer=lk.SGD(**options), epochs=4,
           callbacks=[saver], **TRAINING)  # fmt: skip
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"run-{epoch:02d}.npz" for epoch in (1, 2, 3, 4)
    ]
    checkpoint = lk.load(tmp_path / "run-03.npz", with_optimizer=True)
    assert checkpoint.epoch == 3 and checkpoint.model[0].W.dtype == np.float32
    rest = lk.fit(checkpoint.model, x.astype(np.float32), t, optimizer=checkpoint.optimizer,
                  epochs=EPOCHS, initial_epoch=checkpoint.epoch, **TRAINING)  # fmt: skip
    assert list(rest) == expected_losses[3:]
    assert_same_weights(checkpoint.model, weights_of(expected_net))


@pytest.mark.parametrize("lose", ["state", "permutations"])
def test_without_the_state_or_the_skipped_permutations_the_runs_part(tmp_path, lose):
    """The test above can fail: resumed with a fresh SGD (no velocities) or from epoch 0's
    permutation, the run ends elsewhere."""
    options = {"lr": 0.5, "momentum": 0.9}
    expected_net, _ = uninterrupted("sgd", options)
    x, t = blobs()
    net, optimizer = network(), lk.SGD(**options)
    lk.fit(net, x, t, optimizer=optimizer, epochs=SAVED_AT, **TRAINING)
    if lose == "state":
        optimizer = lk.SGD(**options)
        lk.fit(net, x, t, optimizer=optimizer, epochs=EPOCHS, initial_epoch=SAVED_AT, **TRAINING)
    else:
        lk.fit(net, x, t, optimizer=optimizer, epochs=EPOCHS - SAVED_AT, **TRAINING)
    expected = weights_of(expected_net)
    assert any(not np.array_equal(value, expected[name]) for name, value in weights_of(net).items())


def test_model_checkpoint_checks_its_path():
    with pytest.raises(lk.errors.ConfigurationError, match=r"only field is \{epoch\}"):
        lk.ModelCheckpoint("run-{step}.npz")
    with pytest.raises(lk.errors.ConfigurationError, match="empty"):
        lk.ModelCheckpoint("")
    assert lk.ModelCheckpoint("run-{{x}}-{epoch}.npz").path_for(7) == "run-{x}-7.npz"


def test_model_checkpoint_without_the_optimizer(tmp_path):
    net = network()
    x, t = blobs()
    saver = lk.ModelCheckpoint(tmp_path / "m.npz", save_optimizer=False)
    lk.fit(net, x, t, optimizer=lk.SGD(0.1), epochs=2, callbacks=[saver], **TRAINING)
    assert lk.load(tmp_path / "m.npz", with_optimizer=True)[1:] == (None, 2)


def test_model_checkpoint_refuses_an_unregistered_optimizer_before_training(tmp_path):
    class Halving(lk.SGD):
        """An SGD subclass no plugin registers: load could not rebuild it."""

    net = network()
    before = weights_of(net)
    x, t = blobs()
    saver = lk.ModelCheckpoint(tmp_path / "m.npz")
    with pytest.raises(lk.errors.UnsavableLayerError, match="Halving is not a registered"):
        lk.fit(net, x, t, optimizer=Halving(0.1), epochs=2, callbacks=[saver], **TRAINING)
    assert_same_weights(net, before)
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("where", ["missing/m.npz", "file.txt/m.npz", "folder"])
def test_model_checkpoint_refuses_a_path_it_cannot_write_before_training(tmp_path, where):
    """A checkpoint that cannot be written fails before the first epoch, not after it."""
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "folder").mkdir()
    net = network()
    before = weights_of(net)
    x, t = blobs()
    seen = []

    class Epochs(lk.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs):
            seen.append(epoch)

    saver = lk.ModelCheckpoint(tmp_path / where)
    with pytest.raises(OSError, match="cannot save"):
        lk.fit(net, x, t, optimizer=lk.SGD(0.1), epochs=2, callbacks=[saver, Epochs()], **TRAINING)
    assert seen == []
    assert_same_weights(net, before)
