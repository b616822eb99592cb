"""The derivation's exercises: hidden answers, a link to the exercise mode, and answers that hold.

- every question on docs/math/backpropagation.md has a collapsed answer nested in it, and the
  section links to the exercise mode page;
- the answers' claims are checked with layerkit: the tanh δ of exercise 1, and the fourfold
  shrinking per sigmoid layer of exercise 2;
- the built page renders each question as a collapsible block holding its answer, with math.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np

import layerkit as lk

PAGE = Path(__file__).resolve().parent.parent / "docs" / "math" / "backpropagation.md"


def _exercises() -> str:
    text = PAGE.read_text(encoding="utf-8")
    return text[text.index("\n## Exercises\n") :]


def test_every_question_hides_its_answer_and_the_section_links_the_exercise_mode() -> None:
    section = _exercises()
    questions = re.findall(
        r'^\?\?\? question "([^"\n]+)"\n(.*?)(?=^\?\?\? |^\S|\Z)', section, re.M | re.S
    )
    assert [title.split(".")[0] for title, _ in questions] == ["1", "2", "3"]
    for title, body in questions:
        assert '\n    ??? success "Answer"\n' in body, f"no hidden answer in {title!r}"
    assert "](../exercises.md)" in section


def test_exercise_1_tanh_delta_is_what_layerkit_computes() -> None:
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(1, 2)), rng.uniform(size=(1, 2))
    net = lk.Sequential(
        lk.Dense(2, 3, seed=0), lk.activation("tanh"), lk.Dense(3, 2, seed=1), lk.Sigmoid()
    )
    loss = lk.L2Loss()
    loss.forward(net.forward(x), t)
    net.backward(loss.backward())
    h = np.tanh(x @ net[0].W + net[0].b)
    y = net(x)
    delta2 = (y - t) * y * (1 - y)
    delta1 = (1 - h**2) * (delta2 @ net[2].W.T)  # the answer's formula
    np.testing.assert_allclose(net[0].dW, x.T @ delta1, rtol=1e-12)
    np.testing.assert_allclose(net[0].db, delta1[0], rtol=1e-12)


def test_exercise_2_each_sigmoid_layer_shrinks_delta_fourfold() -> None:
    rng = np.random.default_rng(1)
    layers: list[lk.Layer] = []
    for _ in range(10):  # a chain of ten one-unit sigmoid layers, weights below 1 in size
        layers += [lk.Dense(1, 1, W=rng.uniform(-1, 1, (1, 1)), b=rng.normal(size=1)), lk.Sigmoid()]
    net = lk.Sequential(*layers)
    loss = lk.L2Loss()
    loss.forward(net.forward(np.ones((1, 1))), np.zeros((1, 1)))
    net.backward(loss.backward())
    deltas = [abs(float(layer.db[0])) for layer in net.layers[::2]]  # db = δ for one sample
    for lower, upper in itertools.pairwise(deltas):
        assert lower < upper / 4
    assert deltas[0] < 4.0**-9 * deltas[-1]


def test_built_page_hides_each_answer_inside_its_question(site: Path) -> None:
    html = (site / "math" / "backpropagation" / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="exercises"') :]
    questions = re.findall(r'<details class="question">(.*?)</details>\s*</details>', section, re.S)
    assert len(questions) == 3
    for question in questions:
        assert '<details class="success">' in question and "<summary>Answer</summary>" in question
        assert 'class="arithmatex"' in question  # formulas, rendered by KaTeX like the page's
    assert 'href="../../exercises/"' in section
