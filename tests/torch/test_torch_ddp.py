"""A layerkit model continues training under PyTorch's DistributedDataParallel and comes back.

One process (world_size=1, the gloo backend, a FileStore in tmp_path, loopback only): DDP
averages the gradients over one replica, so its steps must be exactly plain PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk

torch = pytest.importorskip("torch")
distributed = pytest.importorskip("torch.distributed")
pytest.importorskip("layerkit_activations")

if not distributed.is_available() or not distributed.is_gloo_available():
    pytest.skip("this PyTorch has no gloo backend", allow_module_level=True)


def half_adder() -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    t = np.array([[0, 0], [1, 0], [1, 0], [0, 1]], dtype=float)
    return x, t


def train(module: torch.nn.Module, steps: int) -> list[float]:
    """``steps`` full-batch SGD steps on the half adder with the mean squared error."""
    x, t = (torch.from_numpy(array) for array in half_adder())
    optimizer = torch.optim.SGD(module.parameters(), lr=0.5, momentum=0.9)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(module(x), t)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_training_continues_under_ddp_and_comes_back(tmp_path, monkeypatch):
    x, t = half_adder()
    net = lk.mlp([2, 6, 2], "tanh", seed=0)
    lk.fit(net, x, t, loss="l2", optimizer=lk.SGD(1.0), epochs=20, seed=0)  # begun in layerkit
    plain = lk.to_torch(net)
    plain_losses = train(plain, steps=15)

    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "lo")  # loopback only
    store = distributed.FileStore(str(tmp_path / "store"), 1)
    distributed.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        replica = torch.nn.parallel.DistributedDataParallel(lk.to_torch(net))
        ddp_losses = train(replica, steps=15)
        trained = lk.from_torch(replica.module)
    finally:
        distributed.destroy_process_group()

    assert ddp_losses == plain_losses
    assert ddp_losses[-1] < ddp_losses[0]
    expected = lk.from_torch(plain)
    for mine, yours, before in zip(
        trained.parameters(), expected.parameters(), net.parameters(), strict=True
    ):
        np.testing.assert_array_equal(mine.value, yours.value, strict=True)
        assert not np.array_equal(mine.value, before.value)  # it did train
    np.testing.assert_array_equal(trained(x), expected(x))
