"""The derivation's "Why backpropagation is fast" table, timed by a MkDocs hook at build time.

- the finite-difference gradient the hook times is the gradient: it agrees with backpropagation's;
- the parameter counts are the networks' and the measured ratio grows with them, past the
  "thousands of times" the page says for five thousand parameters;
- the built page carries the table in place of its marker.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
from docs_support import load_hook

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _hook() -> ModuleType:
    return load_hook("backprop_cost")


def test_the_timed_finite_differences_agree_with_backpropagation() -> None:
    hook = _hook()
    net, loss, x, t = hook._setup([2, 3, 2])
    differences = hook.finite_difference_gradient(net, loss, x, t)
    hook.backprop_gradient(net, loss, x, t)
    for parameter, gradient in zip(net.parameters(), differences, strict=True):
        np.testing.assert_allclose(gradient, parameter.grad, rtol=1e-6, atol=1e-10)


def test_the_cost_ratio_grows_with_the_parameter_count() -> None:
    costs = _hook().measure()
    assert [cost.parameters for cost in costs] == [17, 337, 4996]  # (n_in + 1) n_out per layer
    ratios = [cost.ratio for cost in costs]
    assert ratios == sorted(ratios)
    assert ratios[-1] > 1000  # the page: "thousands of times slower" at five thousand


def test_the_table_shows_each_network(site: Path) -> None:
    html = (site / "math" / "backpropagation" / "index.html").read_text(encoding="utf-8")
    assert "backprop-cost -->" not in html
    section = html[html.index('id="why-backpropagation-is-fast"') : html.index('id="exercises"')]
    for row in ("2-3-2", "2-16-16-1", "8-64-64-4", "4,996"):
        assert (
            f"<td>{row}</td>" in section or f'<td style="text-align: right;">{row}</td>' in section
        )
