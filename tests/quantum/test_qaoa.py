"""QAOA MaxCut: the cost operator against enumerated cuts, the ansatz against a dense
exponential and MindQuantum, and training that finds the brute-force optimum.

Literature check: on an even ring, optimal QAOA gives <C>/C_max = (2p+1)/(2p+2)
(Farhi, Goldstone, Gutmann, arXiv:1411.4028): 3/4 at p = 1, 5/6 at p = 2.
"""

import networkx as nx
import numpy as np
import pytest
from scipy.linalg import expm

from quantum import MaxCutAnsatz, solve_maxcut
from quantum.qaoa import as_edges, brute_force_maxcut, cut_value, maxcut_hamiltonian
from tests.quantum.test_simulator_reference import ham_matrix, pauli_matrix

WEIGHTED_K4 = [(0, 1, 1.0), (0, 2, 2.5), (0, 3, 0.5), (1, 2, 1.5), (1, 3, 3.0), (2, 3, 1.0)]


def _enumerated_cuts(edges, n):
    return np.array([sum(w for i, j, w in edges if ((k >> i) & 1) != ((k >> j) & 1))
                     for k in range(1 << n)])


def test_graph_inputs_agree():
    ring = [(0, 1), (1, 2), (2, 3), (3, 0)]
    ref, n = as_edges(ring)
    assert n == 4 and ref == [(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0), (3, 0, 1.0)]
    g = nx.cycle_graph(4)
    assert sorted(as_edges(g)[0]) == sorted((min(i, j), max(i, j), w) for i, j, w in ref)
    labelled = nx.relabel_nodes(g, {0: "a", 1: "b", 2: "c", 3: "d"})
    assert brute_force_maxcut(labelled)[0] == 4.0
    assert as_edges({0: [1, 3], 1: [0, 2], 2: [1, 3], 3: [2, 0]})[0].__len__() == 4
    adj = nx.to_numpy_array(nx.cycle_graph(4))
    assert brute_force_maxcut(adj)[0] == 4.0
    assert as_edges(np.array(ring))[0] == ref          # an (E, 2) array is an edge list
    wg = nx.Graph()
    wg.add_weighted_edges_from(WEIGHTED_K4)
    assert brute_force_maxcut(wg)[0] == brute_force_maxcut(WEIGHTED_K4)[0]
    with pytest.raises(ValueError, match="edge 1 \\(2, 2\\) is a self-loop"):
        as_edges([(0, 1), (2, 2)])
    with pytest.raises(ValueError, match="no edge"):
        as_edges([])


@pytest.mark.parametrize("graph", [[(0, 1), (1, 2), (2, 0), (2, 3)], WEIGHTED_K4])
def test_cost_operator_is_the_cut_value(graph):
    edges, n = as_edges(graph)
    h = ham_matrix(list(maxcut_hamiltonian(graph).terms.items()), n)
    cuts = _enumerated_cuts(edges, n)
    np.testing.assert_allclose(h, np.diag(cuts), atol=1e-12)
    best, opt = brute_force_maxcut(graph)
    assert best == cuts.max() and all(cuts[k] == best for k in opt)
    assert cut_value(graph, opt[0]) == best
    bits = [(opt[0] >> q) & 1 for q in range(n)]
    assert cut_value(graph, bits) == best
    part = [[q for q in range(n) if not bits[q]], [q for q in range(n) if bits[q]]]
    assert cut_value(graph, part) == best
    with pytest.raises(ValueError, match="on both sides"):
        cut_value(graph, [[0, 1], [1, 2, 3]])


def test_ansatz_state_equals_dense_exponentials():
    edges, n = as_edges(WEIGHTED_K4)
    ans = MaxCutAnsatz(WEIGHTED_K4, depth=2)
    assert ans.params_name == ["gamma_0", "beta_0", "gamma_1", "beta_1"]
    x = np.array([0.4, -0.7, 1.1, 0.3])
    hzz = sum(w * pauli_matrix(((i, "Z"), (j, "Z")), n) for i, j, w in edges)
    hx = sum(pauli_matrix(((q, "X"),), n) for q in range(n))
    psi = np.ones(1 << n, dtype=complex) / np.sqrt(1 << n)
    for p in range(2):
        psi = expm(-0.5j * x[2 * p] * hzz) @ psi
        psi = expm(-0.5j * x[2 * p + 1] * hx) @ psi
    np.testing.assert_allclose(ans.state(x), psi, atol=1e-12)
    cuts = _enumerated_cuts(edges, n)
    assert abs(ans.expectation(x) - float(np.abs(psi) ** 2 @ cuts)) < 1e-12
    probs = np.abs(psi) ** 2
    top = ans.get_partition(3, x)
    for part, p_ref in zip(top, np.sort(probs)[::-1][:3], strict=True):
        k = sum(1 << q for q in part[1])
        assert abs(probs[k] - p_ref) < 1e-12   # complements tie: compare probabilities
        assert ans.get_cut_value(part) == cuts[k]


def test_ansatz_matches_mindquantum():
    mq = pytest.importorskip("mindquantum")
    from mindquantum.algorithm.nisq import MaxCutAnsatz as MQMaxCut
    from mindquantum.core.operators import Hamiltonian as MH

    graph = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (3, 4)]
    ours, theirs = MaxCutAnsatz(graph, 2), MQMaxCut(graph, 2)
    x = np.array([0.3, 0.9, -0.5, 0.2])
    pr = dict(zip(ours.params_name, x, strict=True))
    sim = mq.simulator.Simulator("mqvector", 5)
    sim.apply_circuit(theirs.circuit, pr)
    np.testing.assert_allclose(ours.state(x), sim.get_qs(), atol=1e-12)
    f = sim.get_expectation(MH(theirs.hamiltonian))
    assert abs(ours.expectation(x) - f.real) < 1e-12


@pytest.mark.parametrize("depth,ratio", [(1, 3 / 4), (2, 5 / 6)])
def test_even_ring_reaches_the_known_qaoa_ratio(depth, ratio):
    res = solve_maxcut(nx.cycle_graph(8), depth=depth, method="BFGS", seed=0)
    assert abs(res.expectation / 8.0 - ratio) < 1e-6


@pytest.mark.parametrize("graph,method", [
    (nx.cycle_graph(5), "BFGS"),
    (nx.petersen_graph(), "L-BFGS-B"),
    (nx.random_regular_graph(3, 8, seed=3), "BFGS"),
    (WEIGHTED_K4, "BFGS"),
    (nx.erdos_renyi_graph(7, 0.5, seed=2), "adam"),
])
def test_qaoa_finds_the_maximum_cut(graph, method):
    best, optimal = brute_force_maxcut(graph)
    res = solve_maxcut(graph, depth=3, method=method, maxiter=150, shots=500, seed=1)
    assert res.cut == best and res.bits in optimal
    assert cut_value(graph, res.partition) == best
    # the state concentrates on optimal cuts: the most frequent sample is one
    assert res.most_frequent[1] == best
    assert res.expectation > 0.8 * best
    assert sum(res.counts.values()) == 500


def test_gradient_free_optimizer_and_callback():
    seen = []
    res = solve_maxcut([(0, 1), (1, 2), (2, 0)], depth=1, method="COBYLA", maxiter=80,
                       callback=lambda k, v: seen.append((k, v)))
    assert res.cut == 2.0 and len(seen) == res.n_evaluations > 5
    with pytest.raises(ValueError, match="init needs 2 values"):
        solve_maxcut([(0, 1)], depth=1, init=[0.1, 0.2, 0.3])
