"""The quantum-ML examples run in their --quick form and reach what their docstrings state."""

import importlib.util
from pathlib import Path

import numpy as np

from quantum.qaoa import as_edges, brute_force_maxcut

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "quantum"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_hybrid_classifier_quick_reaches_stated_accuracy():
    mod = _load("hybrid_classifier")
    x, y = mod.make_moons(200, 0.1, np.random.default_rng(0))
    assert x.shape == (200, 2) and set(np.unique(y)) == {0, 1}
    res = mod.main(["--quick"])
    assert res["losses"][-1] < 0.5 * res["losses"][0]
    assert res["test_accuracy"] >= 0.90     # the docstring's --quick figure


def test_qaoa_example_quick_finds_the_exact_cut():
    mod = _load("qaoa_maxcut")
    res = mod.main(["--quick"])
    assert res["found_optimum"] and res["best_sampled_cut"] == res["exact_max_cut"]
    assert res["approximation_ratio"] > 0.8
    edges = mod.parse_edges("0-1,1-2,2-3,3-0,0-2")
    assert as_edges(edges)[1] == 4
    small = mod.run(edges, depth=2, verbose=False)
    assert small["best_sampled_cut"] == brute_force_maxcut(edges)[0] == 4.0
