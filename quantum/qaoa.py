"""QAOA for MaxCut (Farhi, Goldstone, Gutmann, arXiv:1411.4028), MindQuantum's names.

Graph input (:func:`as_edges`): an edge list ``[(i, j)]`` or ``[(i, j, w)]``, a
networkx-like graph (anything with ``.nodes`` and ``.edges(data=True)``; a
``"weight"`` attribute is used when present), an adjacency dict ``{i: [j, ...]}`` or
``{i: {j: w}}``, or a symmetric adjacency matrix (a non-square array ``(E, 2)`` or
``(E, 3)`` is an edge list). Nodes are qubits ``0 .. n-1``
(networkx nodes are numbered in ``sorted`` order when they are not those ints).

* Cost: ``C = sum_(ij) w_ij (1 - Z_i Z_j) / 2`` (:func:`maxcut_hamiltonian`): the
  weight of the edges cut by the bit string; QAOA maximises ``<C>``.
* Ansatz (:class:`MaxCutAnsatz`): ``H`` on every node, then per layer ``p``
  ``Rzz(w_ij gamma_p)`` on every edge and ``RX(beta_p)`` on every node (parameters
  ``gamma_p``, ``beta_p``; ``R_P(t) = exp(-i t P / 2)``).
* Training (:func:`solve_maxcut`): scipy (BFGS, L-BFGS-B, ...; adjoint gradients
  from ``Simulator.get_expectation_with_grad``) or core_autodiff Adam through a
  :class:`~quantum.layers.QuantumLayer`; the cut is decoded from sampled bit strings
  (the best sampled cut, and the most frequent string).

A bit string ``b`` (int, little-endian: node ``i`` is bit ``i``) puts node ``i`` on
side ``b_i``; a partition is ``[left, right]`` lists of nodes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .circuit import Circuit
from .gates import RX, H, Measure, Rzz
from .operators import Hamiltonian, QubitOperator
from .simulator import Simulator

__all__ = [
    "MaxCutAnsatz", "QAOAResult", "as_edges", "brute_force_maxcut", "cut_value",
    "maxcut_hamiltonian", "solve_maxcut",
]

Edge = tuple[int, int, float]


# ---------------------------------------------------------------------------- graphs
def as_edges(graph: Any) -> tuple[list[Edge], int]:
    """``(edges, n_nodes)`` with edges ``(i, j, w)``, ``i != j``, nodes ``0 .. n-1``.

    Raises:
        ValueError: a self-loop, a negative or non-integer node, a malformed edge, or no
            edge at all.
    """
    edges: list[Edge] = []
    n_nodes = 0
    if hasattr(graph, "edges") and hasattr(graph, "nodes") and callable(graph.edges):
        nodes = list(graph.nodes)
        if all(isinstance(v, int | np.integer) and v >= 0 for v in nodes):
            index = {v: int(v) for v in nodes}
        else:
            index = {v: k for k, v in enumerate(sorted(nodes, key=str))}
        n_nodes = max(index.values(), default=-1) + 1
        for u, v, data in graph.edges(data=True):
            edges.append((index[u], index[v], float((data or {}).get("weight", 1.0))))
    elif isinstance(graph, dict):
        seen: set[tuple[int, int]] = set()
        for u, nbrs in graph.items():
            items = nbrs.items() if isinstance(nbrs, dict) else ((v, 1.0) for v in nbrs)
            for v, w in items:
                if (int(v), int(u)) not in seen:
                    seen.add((int(u), int(v)))
                    edges.append((int(u), int(v), float(w)))
            n_nodes = max(n_nodes, int(u) + 1)
    elif (isinstance(graph, np.ndarray) and graph.ndim == 2
          and graph.shape[0] == graph.shape[1] and np.allclose(graph, graph.T)):
        a = np.asarray(graph, dtype=float)   # symmetric adjacency matrix
        n_nodes = a.shape[0]
        edges = [(i, j, float(a[i, j])) for i in range(n_nodes) for j in range(i + 1, n_nodes)
                 if a[i, j] != 0]
    else:
        for k, e in enumerate(graph):
            e = tuple(e)
            if len(e) not in (2, 3):
                raise ValueError(f"edge {k} {e!r}: expected (i, j) or (i, j, weight)")
            edges.append((e[0], e[1], float(e[2]) if len(e) == 3 else 1.0))
    out = []
    for k, (i, j, w) in enumerate(edges):
        if int(i) != i or int(j) != j or i < 0 or j < 0:
            raise ValueError(f"edge {k} ({i}, {j}): nodes must be non-negative integers")
        if i == j:
            raise ValueError(f"edge {k} ({i}, {j}) is a self-loop")
        out.append((int(i), int(j), float(w)))
        n_nodes = max(n_nodes, int(i) + 1, int(j) + 1)
    if not out:
        raise ValueError("the graph has no edge")
    return out, n_nodes


def maxcut_hamiltonian(graph: Any) -> QubitOperator:
    """``C = sum_(ij) w_ij (1 - Z_i Z_j) / 2``: its eigenvalue on ``|b>`` is the cut of ``b``."""
    edges, _ = as_edges(graph)
    op = QubitOperator("", 0.0)
    for i, j, w in edges:
        op += QubitOperator("", 0.5 * w) - QubitOperator(f"Z{i} Z{j}", 0.5 * w)
    return op.compress(0.0)


def _bits_of(x: Any, n_nodes: int) -> np.ndarray:
    """Bit array ``(n_nodes,)`` of a bit-string int, a 0/1 sequence or a partition."""
    if isinstance(x, int | np.integer):
        return (int(x) >> np.arange(n_nodes)) & 1
    x = list(x)
    if len(x) == 2 and all(isinstance(p, list | tuple | set) for p in x):
        bits = np.full(n_nodes, -1)
        for side, part in enumerate(x):
            for v in part:
                if not 0 <= int(v) < n_nodes:
                    raise ValueError(f"partition: node {v} is not a node of the graph")
                if bits[int(v)] >= 0:
                    raise ValueError(f"partition: node {v} is on both sides")
                bits[int(v)] = side
        if (bits < 0).any():
            raise ValueError(f"partition: node {int(np.argmax(bits < 0))} is on neither side")
        return bits
    bits = np.asarray(x, dtype=int)
    if bits.shape != (n_nodes,) or not np.isin(bits, (0, 1)).all():
        raise ValueError(f"bit string must be {n_nodes} zeros and ones, got {x!r}")
    return bits


def cut_value(graph: Any, assignment: Any) -> float:
    """Weight of the edges cut by ``assignment`` (bit-string int, 0/1 list or partition)."""
    edges, n = as_edges(graph)
    b = _bits_of(assignment, n)
    return float(sum(w for i, j, w in edges if b[i] != b[j]))


def _cut_values(edges: list[Edge], idx: np.ndarray) -> np.ndarray:
    out = np.zeros(idx.shape, dtype=float)
    for i, j, w in edges:
        out += w * (((idx >> i) ^ (idx >> j)) & 1)
    return out


def brute_force_maxcut(graph: Any) -> tuple[float, list[int]]:
    """Exact maximum cut by enumeration (``n <= 24``): ``(value, optimal bit-string ints)``."""
    edges, n = as_edges(graph)
    if n > 24:
        raise ValueError(f"brute_force_maxcut: {n} nodes is too many to enumerate (max 24)")
    vals = _cut_values(edges, np.arange(1 << n, dtype=np.int64))
    best = float(vals.max())
    return best, [int(k) for k in np.flatnonzero(np.isclose(vals, best))]


# ---------------------------------------------------------------------------- ansatz
class MaxCutAnsatz:
    """QAOA ansatz of depth ``depth`` for MaxCut on ``graph`` (MindQuantum's ``MaxCutAnsatz``).

    Attributes:
        circuit: ``H^n`` then ``depth`` layers of ``Rzz(w gamma_p)`` per edge and
            ``RX(beta_p)`` per node; ansatz parameters ``gamma_0, beta_0, gamma_1, ...``.
        hamiltonian: the cut operator ``C`` (a QubitOperator).
        edges, n_qubits, depth.
    """

    def __init__(self, graph: Any, depth: int = 1) -> None:
        if int(depth) != depth or depth < 1:
            raise ValueError(f"MaxCutAnsatz: depth must be a positive integer, got {depth!r}")
        self.edges, self.n_qubits = as_edges(graph)
        self.graph = graph
        self.depth = int(depth)
        circ = Circuit([H.on(q) for q in range(self.n_qubits)])
        for p in range(self.depth):
            for i, j, w in self.edges:
                circ += Rzz({f"gamma_{p}": w}).on([i, j])
            for q in range(self.n_qubits):
                circ += RX(f"beta_{p}").on(q)
        self.circuit = circ
        self.hamiltonian = maxcut_hamiltonian(self.edges)

    @property
    def params_name(self) -> list[str]:
        return self.circuit.params_name

    def get_cut_value(self, partition: Any) -> float:
        """Cut weight of a partition ``[left, right]`` (or a bit string)."""
        b = _bits_of(partition, self.n_qubits)
        return float(sum(w for i, j, w in self.edges if b[i] != b[j]))

    def expectation(self, weight: Any) -> float:
        """``<C>`` of the QAOA state at ``weight`` (dict or array)."""
        return float(np.real(Simulator("cpu", self.n_qubits).get_expectation(
            Hamiltonian(self.hamiltonian), self.circuit, pr=self._pr(weight))))

    def state(self, weight: Any) -> np.ndarray:
        """The QAOA state ``(2**n,)`` at parameters ``weight`` (dict or array)."""
        sim = Simulator("cpu", self.n_qubits)
        sim.apply_circuit(self.circuit, self._pr(weight))
        return sim.get_qs()

    def get_partition(self, max_n: int, weight: Any) -> list[list[list[int]]]:
        """The ``max_n`` most probable partitions ``[left, right]`` at ``weight``."""
        if int(max_n) != max_n or not 1 <= max_n <= 1 << self.n_qubits:
            raise ValueError(f"max_n must be in 1 .. {1 << self.n_qubits}, got {max_n!r}")
        probs = np.abs(self.state(weight)) ** 2
        idx = np.argsort(-probs, kind="stable")[: int(max_n)]
        return [_partition(int(k), self.n_qubits) for k in idx]

    def _pr(self, weight: Any) -> dict[str, float]:
        if isinstance(weight, dict):
            return weight
        w = np.asarray(weight, dtype=float).reshape(-1)
        names = self.params_name
        if w.shape[0] != len(names):
            raise ValueError(f"{w.shape[0]} values for the parameters {names}")
        return dict(zip(names, w.tolist(), strict=True))


def _partition(bits: int, n: int) -> list[list[int]]:
    return [[q for q in range(n) if not (bits >> q) & 1], [q for q in range(n) if (bits >> q) & 1]]


# ---------------------------------------------------------------------------- training
@dataclass
class QAOAResult:
    """Outcome of :func:`solve_maxcut`.

    Attributes:
        params: optimal ``gamma_p, beta_p`` values (dict).
        expectation: ``<C>`` at ``params``.
        cut: best cut weight among the samples; ``bits`` / ``partition`` realise it.
        most_frequent: the most frequent sampled bit string and its cut weight.
        counts: sampled bit strings (little-endian text, node 0 rightmost) -> count.
        n_evaluations: objective evaluations (or Adam steps).
        history: ``<C>`` per evaluation.
    """

    params: dict[str, float]
    expectation: float
    cut: float
    bits: int
    partition: list[list[int]]
    most_frequent: tuple[int, float]
    counts: dict[str, int]
    n_evaluations: int
    history: list[float] = field(default_factory=list)


def _ramp(depth: int, dt: float = 0.8) -> np.ndarray:
    """Linear-ramp start (a discretised annealing path): ``gamma`` grows, ``beta`` shrinks.
    In these conventions ``Rzz(gamma)`` and ``RX(beta)`` need ``gamma < 0 < beta``."""
    t = (np.arange(depth) + 0.5) / depth
    out = np.empty(2 * depth)
    out[0::2] = -2.0 * t * dt
    out[1::2] = 2.0 * (1.0 - t) * dt
    return out


def solve_maxcut(graph: Any, depth: int = 2, method: str = "BFGS", init: Any = None,
                 maxiter: int = 200, tol: float = 1e-8, lr: float = 0.05, shots: int = 1000,
                 seed: int | None = None, n_restarts: int = 1,
                 callback: Callable[[int, float], None] | None = None) -> QAOAResult:
    """Train a depth-``depth`` QAOA for MaxCut and decode a cut from samples.

    Args:
        graph: see :func:`as_edges`.
        depth: QAOA layers ``p``.
        method: a ``scipy.optimize.minimize`` method ("BFGS", "L-BFGS-B", "COBYLA", ...)
            on ``-<C>`` with adjoint gradients, or "adam" (core_autodiff Adam on a
            :class:`~quantum.layers.QuantumLayer`, ``maxiter`` steps of size ``lr``).
        init: initial ``[gamma_0, beta_0, gamma_1, ...]`` (default: a linear ramp;
            further restarts draw uniform angles).
        maxiter, tol: optimizer limits.
        shots: samples drawn from the trained state to decode the cut.
        seed: seeds restarts and sampling.
        n_restarts: independent starts; the one with the largest ``<C>`` is kept.
        callback: ``callback(evaluation, expectation)`` after every evaluation.

    Returns:
        A :class:`QAOAResult`.
    """
    ansatz = MaxCutAnsatz(graph, depth)
    rng = np.random.default_rng(seed)
    starts = [_ramp(ansatz.depth) if init is None else np.asarray(init, dtype=float)]
    starts += [rng.uniform(-np.pi, np.pi, 2 * ansatz.depth) for _ in range(n_restarts - 1)]
    if starts[0].shape != (2 * ansatz.depth,):
        raise ValueError(f"init needs {2 * ansatz.depth} values (gamma_0, beta_0, ...), got "
                         f"{starts[0].shape}")
    history: list[float] = []
    best = None
    for x0 in starts:
        if method.lower() == "adam":
            x, val = _train_adam(ansatz, x0, maxiter, lr, history, callback)
        else:
            x, val = _train_scipy(ansatz, x0, method, maxiter, tol, history, callback)
        if best is None or val > best[1]:
            best = (x, val)
    x, val = best
    params = dict(zip(ansatz.params_name, x.tolist(), strict=True))
    sim = Simulator("cpu", ansatz.n_qubits, seed=seed)
    meas = ansatz.circuit + Circuit([Measure(f"q{q}").on(q) for q in range(ansatz.n_qubits)])
    res = sim.sampling(meas, params, shots=shots, seed=seed)
    idx = (res.samples << np.arange(ansatz.n_qubits)).sum(axis=1)
    cuts = _cut_values(ansatz.edges, idx)
    k_best = int(np.argmax(cuts))
    uniq, counts = np.unique(idx, return_counts=True)
    top = int(uniq[np.argmax(counts)])
    return QAOAResult(
        params=params, expectation=float(val), cut=float(cuts[k_best]), bits=int(idx[k_best]),
        partition=_partition(int(idx[k_best]), ansatz.n_qubits),
        most_frequent=(top, float(_cut_values(ansatz.edges, np.array([top]))[0])),
        counts=res.data, n_evaluations=len(history), history=history)


def _train_scipy(ansatz: MaxCutAnsatz, x0: np.ndarray, method: str, maxiter: int, tol: float,
                 history: list[float], callback) -> tuple[np.ndarray, float]:
    from scipy.optimize import minimize

    sim = Simulator("cpu", ansatz.n_qubits)
    grad_ops = sim.get_expectation_with_grad(Hamiltonian(ansatz.hamiltonian), ansatz.circuit)

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = grad_ops(x)
        val = float(f.real[0, 0])
        history.append(val)
        if callback is not None:
            callback(len(history), val)
        return -val, -g.real[0, 0]

    gradient_free = method.upper() in ("COBYLA", "NELDER-MEAD", "POWELL")
    if gradient_free:
        res = minimize(lambda x: fun(x)[0], x0, method=method, tol=tol,
                       options={"maxiter": maxiter})
    else:
        res = minimize(fun, x0, jac=True, method=method, tol=tol, options={"maxiter": maxiter})
    return np.asarray(res.x), float(-res.fun)


def _train_adam(ansatz: MaxCutAnsatz, x0: np.ndarray, steps: int, lr: float,
                history: list[float], callback) -> tuple[np.ndarray, float]:
    import core_autodiff as ad

    from .layers import QuantumLayer

    layer = QuantumLayer(ansatz.circuit, Hamiltonian(ansatz.hamiltonian), weight=x0)
    opt = ad.optim.Adam(layer.parameters(), lr=lr)
    best = (x0.copy(), -math.inf)
    for _ in range(int(steps)):
        opt.zero_grad()
        value = layer()[0]
        val = float(value.data)
        if val > best[1]:
            best = (layer.weight.data.copy(), val)
        history.append(val)
        if callback is not None:
            callback(len(history), val)
        (-value).backward()
        opt.step()
    return best
