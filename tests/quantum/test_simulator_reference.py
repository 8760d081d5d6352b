"""Independent dense references for the simulator tests (and their own sanity checks).

Everything here is built from numpy kron/tensordot, never from the kernels or
``Circuit.matrix``: ``embed`` places a gate matrix on arbitrary target and
control qubits of an ``n``-qubit register (qubit 0 = least significant bit),
``dense_unitary`` multiplies a circuit's gates, ``pauli_matrix`` builds a
Pauli string by ``np.kron``.
"""

import numpy as np
import pytest

_P = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.diag([1.0, -1.0]).astype(complex),
}


def embed(m, obj, ctrl, n):
    """Full ``2**n`` matrix of ``m`` on ``obj`` (obj[0] the low local bit) controlled by ``ctrl``."""
    k = len(obj)
    dim = 1 << n
    eye = np.eye(dim, dtype=complex).reshape((2,) * n + (dim,))
    t = np.asarray(m, dtype=complex).reshape((2,) * (2 * k))
    # numpy axis a <-> qubit n-1-a; local matrix index bit i <-> obj[i] <-> tensor axis k-1-i
    row_axes = [k - 1 - i for i in range(k)]
    col_axes = [k + (k - 1 - i) for i in range(k)]
    state_axes = [n - 1 - q for q in obj]
    out = np.tensordot(t, eye, axes=(col_axes, state_axes))
    # out axes: row_axes (in tensor order k-1..0 -> obj reversed), then remaining state axes
    rest = [a for a in range(n) if a not in state_axes]
    order = [None] * n
    for pos, r in enumerate(sorted(row_axes)):
        i = k - 1 - r  # local bit index
        order[n - 1 - obj[i]] = pos
    for j, a in enumerate(rest):
        order[a] = k + j
    full = np.transpose(out, order + [n]).reshape(dim, dim)
    if not ctrl:
        return full
    idx = np.arange(dim)
    on = np.ones(dim, dtype=bool)
    for c in ctrl:
        on &= ((idx >> c) & 1).astype(bool)
    proj = np.diag(on.astype(complex))
    return proj @ full @ proj + np.diag((~on).astype(complex))


def gate_matrix(g, pr=None):
    """The gate's uncontrolled matrix at ``pr`` through the gate interface."""
    if getattr(g, "parameterized", False):
        vals = [p.combination(pr) if not p.is_const() else p.const for p in g.params]
        return g.matrix_from_values(*[float(np.real(v)) for v in vals])
    return g.matrix()


def dense_unitary(circ, n, pr=None):
    """Product of the embedded gate matrices of ``circ`` (barriers skipped)."""
    u = np.eye(1 << n, dtype=complex)
    for g in circ:
        if type(g).__name__ == "BarrierGate":
            continue
        u = embed(gate_matrix(g, pr), list(g.obj_qubits), list(g.ctrl_qubits), n) @ u
    return u


def apply_tensor(psi, m, obj, ctrl, n):
    """``psi`` after ``m`` on ``obj`` controlled by ``ctrl`` (numpy tensordot on the state)."""
    k = len(obj)
    t = psi.reshape((2,) * n)
    mt = np.asarray(m).reshape((2,) * (2 * k))
    axes = [n - 1 - q for q in obj][::-1]  # tensor axis of local bit k-1 .. 0
    new = np.tensordot(mt, t, axes=(list(range(k, 2 * k)), axes))
    new = np.moveaxis(new, list(range(k)), axes)
    if ctrl:
        idx = np.arange(1 << n)
        on = np.ones(1 << n, dtype=bool)
        for c in ctrl:
            on &= ((idx >> c) & 1).astype(bool)
        return np.where(on, new.reshape(-1), psi)
    return new.reshape(-1)


def apply_reference(circ, psi, n, pr=None):
    """``psi`` through every gate of ``circ`` with :func:`apply_tensor`."""
    for g in circ:
        if type(g).__name__ == "BarrierGate":
            continue
        psi = apply_tensor(psi, gate_matrix(g, pr), list(g.obj_qubits), list(g.ctrl_qubits), n)
    return psi


def pauli_matrix(term, n):
    """``np.kron`` product for a term ``((q, "X"), ...)`` on ``n`` qubits."""
    ops = dict((q, p) for q, p in term)
    m = np.eye(1, dtype=complex)
    for q in range(n):  # kron(new, m): qubit q becomes the more significant factor
        m = np.kron(_P[ops.get(q, "I")], m)
    return m


def ham_matrix(terms, n):
    """Dense matrix of ``[(term, coeff), ...]``."""
    return sum(complex(c) * pauli_matrix(t, n) for t, c in terms)


def random_state(n, rng):
    v = rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)
    return v / np.linalg.norm(v)


# ----------------------------------------------------------------- checks of the reference itself
def test_embed_matches_kron_on_adjacent_qubits():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    b = rng.normal(size=(4, 4))
    # qubit 1 of 3: I (q2) x a (q1) x I (q0)
    assert np.allclose(embed(a, [1], [], 3), np.kron(np.eye(2), np.kron(a, np.eye(2))))
    # two-qubit matrix on (0, 1) with obj[0] = 0 the low bit: kron(I, b)
    assert np.allclose(embed(b, [0, 1], [], 3), np.kron(np.eye(2), b))
    # reversed targets = swap-conjugated
    sw = np.eye(4)[[0, 2, 1, 3]]
    assert np.allclose(embed(b, [1, 0], [], 2), sw @ b @ sw)


def test_embed_cnot_is_textbook():
    x = _P["X"]
    cnot = embed(x, [1], [0], 2)  # target 1, control 0 (little endian)
    expect = np.zeros((4, 4))
    for i in range(4):
        j = i ^ 2 if i & 1 else i
        expect[j, i] = 1
    assert np.allclose(cnot, expect)


def test_apply_tensor_matches_embed():
    rng = np.random.default_rng(2)
    m = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    psi = random_state(4, rng)
    assert np.allclose(apply_tensor(psi, m, [3, 1], [0], 4), embed(m, [3, 1], [0], 4) @ psi)


@pytest.mark.parametrize("term", [((0, "X"),), ((1, "Y"), (2, "Z"))])
def test_pauli_matrix_matches_embed(term):
    n = 3
    m = np.eye(8, dtype=complex)
    for q, p in term:
        m = embed(_P[p], [q], [], n) @ m
    assert np.allclose(pauli_matrix(term, n), m)
