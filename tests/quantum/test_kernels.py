"""Kernels one by one against numpy tensordot references; numba.cuda kernels via the CUDA simulator.

Every kernel of :mod:`quantum.kernels.cpu_gates` / ``cpu_expect`` (serial and parallel) and of
``cuda_gates`` is compared with :func:`apply_tensor` / dense Pauli matrices to 1e-12.
"""

import os

import numpy as np
import pytest

from quantum.kernels import cpu_expect as ce
from quantum.kernels import cpu_gates as cg
from quantum.simulator.backend import CpuBackend
from quantum.simulator.ops import DENSE, DIAG, PERM, XSWAP, Op, classify_matrix
from quantum.simulator.pauli import PauliSum
from tests.conftest import has_real_gpu
from tests.quantum.test_simulator_reference import apply_tensor, ham_matrix, random_state


def _unitary(k, rng):
    q, r = np.linalg.qr(rng.normal(size=(1 << k,) * 2) + 1j * rng.normal(size=(1 << k,) * 2))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def _ops(n, rng):
    """One op of every kind on random targets and controls (``(op, dense matrix)``)."""
    out = []
    for k, kind in [(1, DENSE), (2, DENSE), (3, DENSE), (1, DIAG), (2, DIAG), (1, XSWAP),
                    (2, PERM), (1, PERM)]:
        if k > n:
            continue
        qs = [int(q) for q in rng.permutation(n)]
        n_ctrl = int(rng.integers(0, min(2, n - k) + 1))
        obj, ctrl = qs[:k], tuple(qs[k:k + n_ctrl])
        if kind == DENSE:
            m = _unitary(k, rng)
        elif kind == DIAG:
            m = np.diag(np.exp(1j * rng.uniform(0, 6, 1 << k)))
        elif kind == XSWAP:
            m = np.array([[0, 1], [1, 0]], dtype=complex)
        else:
            p = np.roll(rng.permutation(1 << k), 1) if k > 1 else np.array([1, 0])
            while np.all(p == np.arange(1 << k)):
                p = rng.permutation(1 << k)
            m = np.zeros((1 << k,) * 2, dtype=complex)
            m[p, np.arange(1 << k)] = np.exp(1j * rng.uniform(0.1, 3, 1 << k))
        op = classify_matrix(m, obj, ctrl)
        assert op.kind == kind
        out.append((op, m))
    return out


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("n", [2, 4, 7, 10])
def test_cpu_gate_kernels_and_adjoint(n, parallel):
    rng = np.random.default_rng(n)
    be = CpuBackend()
    if parallel:
        old = cg.PAR_THRESHOLD
        cg.PAR_THRESHOLD = 1  # force the parallel kernels at small sizes
    try:
        for op, m in _ops(n, rng):
            psi = random_state(n, rng)
            v = psi.copy()
            be.apply(v, op)
            ref = apply_tensor(psi, m, list(op.targets), list(op.ctrls), n)
            assert np.max(np.abs(v - ref)) < 1e-12, op
            be.apply(v, op, adj=True)
            assert np.max(np.abs(v - psi)) < 1e-12, op
    finally:
        if parallel:
            cg.PAR_THRESHOLD = old


def test_inner_products_match_dense():
    n = 5
    rng = np.random.default_rng(11)
    be = CpuBackend()
    for op, m in _ops(n, rng):
        lam, psi = random_state(n, rng), random_state(n, rng)
        d = rng.normal(size=m.shape) + 1j * rng.normal(size=m.shape)
        if op.kind == DIAG:
            d = np.diag(np.diag(d))
        # controlled derivative: d on the controlled subspace, zero elsewhere
        full = apply_tensor(psi, d, list(op.targets), [], n)
        idx = np.arange(1 << n)
        on = (idx & op.cmask) == op.cmask
        ref = np.vdot(lam, np.where(on, full, 0))
        dd = np.diag(d).copy() if op.kind == DIAG else d
        got = be.inner(lam, psi, Op(op.kind if op.kind == DIAG else DENSE, op.targets, op.ctrls),
                       dd)
        assert abs(got - ref) < 1e-12


TERMS = [(((0, "X"), (2, "Y")), 0.5), (((1, "Z"),), -1.25), ((), 0.3),
         (((0, "Y"), (1, "Y"), (3, "X")), 0.7), (((0, "X"), (2, "Z")), 0.25 - 0.5j)]


@pytest.mark.parametrize("par", [False, True])
def test_pauli_sum_kernels_match_kron_matrices(par):
    n = 4
    rng = np.random.default_rng(3)
    h = PauliSum.from_hamiltonian(TERMS, n)
    assert not h.hermitian
    dense = ham_matrix(TERMS, n)
    psi, phi = random_state(n, rng), random_state(n, rng)
    out = np.zeros_like(psi)
    apply = ce.apply_pauli_sum_par if par else ce.apply_pauli_sum_ser
    expect = ce.expect_pauli_sum_par if par else ce.expect_pauli_sum_ser
    apply(phi, out, h.xg, h.start, h.zy, h.coef)
    assert np.max(np.abs(out - dense @ phi)) < 1e-12
    assert abs(expect(psi, phi, h.xg, h.start, h.zy, h.coef) - psi.conj() @ dense @ phi) < 1e-12
    hd = h.dagger()
    apply(phi, out, hd.xg, hd.start, hd.zy, hd.coef)
    assert np.max(np.abs(out - dense.conj().T @ phi)) < 1e-12


@pytest.mark.parametrize("terms", [
    [(((0, "Z"), (1, "Z")), 1.0), (((2, "Z"),), -0.4), (((1, "X"),), 0.5),
     (((0, "X"), (3, "X")), 0.3), (((0, "Y"), (3, "Y")), 0.2), (((1, "X"), (2, "Z")), 0.7)],
    [(((3, "Z"),), 1.0), (((0, "X"),), 0.5), (((0, "Y"),), 0.25), ((), 0.1)],
    [(((1, "X"), (2, "Y")), 1.0), (((0, "X"),), -0.5)],
], ids=["diag-table", "one-diag-term", "no-diag"])
@pytest.mark.parametrize("par", [False, True])
def test_pauli_sum_split_form_matches_kron_matrices(terms, par):
    """The backend's ``H |phi>`` with a tabulated diagonal and constant-coefficient groups
    (``PauliSum.split``), against the dense matrix."""
    n = 4
    rng = np.random.default_rng(5)
    h = PauliSum.from_hamiltonian(terms, n)
    phi = random_state(n, rng)
    out = np.zeros_like(phi)
    be = CpuBackend()
    if par:
        old = cg.PAR_THRESHOLD
        cg.PAR_THRESHOLD = 1
    try:
        be.apply_ham(phi, out, h)
    finally:
        if par:
            cg.PAR_THRESHOLD = old
    assert np.max(np.abs(out - ham_matrix(terms, n) @ phi)) < 1e-12


# ----------------------------------------------------------------------------- numba.cuda
cudasim = pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") != "1" and not has_real_gpu(),
                             reason="needs the CUDA simulator or a GPU")


@pytest.mark.cudasim
@cudasim
def test_cuda_gate_kernels_match_reference():
    from quantum.simulator.cuda_backend import CudaBackend

    n = 4
    rng = np.random.default_rng(21)
    be = CudaBackend(np.complex128, xp=np)
    for op, m in _ops(n, rng):
        psi = random_state(n, rng)
        v = psi.copy()
        be.apply(v, op)
        ref = apply_tensor(psi, m, list(op.targets), list(op.ctrls), n)
        assert np.max(np.abs(v - ref)) < 1e-12, op
        be.apply(v, op, adj=True)
        assert np.max(np.abs(v - psi)) < 1e-12, op


@pytest.mark.cudasim
@cudasim
def test_cuda_expectation_and_inner_kernels():
    from quantum.simulator.cuda_backend import CudaBackend

    n = 4
    rng = np.random.default_rng(22)
    be = CudaBackend(np.complex128, xp=np)
    cpu = CpuBackend()
    h = PauliSum.from_hamiltonian(TERMS, n)
    psi, phi = random_state(n, rng), random_state(n, rng)
    out = np.zeros_like(psi)
    be.apply_ham(phi, out, h)
    assert np.max(np.abs(out - ham_matrix(TERMS, n) @ phi)) < 1e-12
    assert abs(be.expect(psi, phi, h) - cpu.expect(psi, phi, h)) < 1e-12
    assert abs(be.vdot(psi, phi) - np.vdot(psi, phi)) < 1e-12
    for op, m in _ops(n, rng)[:5]:
        d = m if op.kind != DIAG else np.diag(m).copy()
        kind_op = Op(op.kind if op.kind == DIAG else DENSE, op.targets, op.ctrls)
        assert abs(be.inner(psi, phi, kind_op, d) - cpu.inner(psi, phi, kind_op, d)) < 1e-12


@pytest.mark.cudasim
@cudasim
def test_cuda_backend_simulator_and_gradient():
    from quantum import Circuit, gates
    from quantum.simulator import Simulator
    from quantum.simulator.cuda_backend import CudaBackend

    c = Circuit([gates.H.on(0), gates.RX("a").on(1, 0), gates.Rzz("b").on([0, 2]),
                 gates.SWAP.on([1, 2]), gates.U3("a", "b", 0.2).on(2), gates.T.on(0, 2)])

    class Ham:
        terms = [(((0, "Z"), (1, "X")), 0.5), (((2, "Y"),), 1.0)]

    results = []
    for be in (CudaBackend(np.complex128, xp=np), "cpu"):
        sim = Simulator(be, 3)
        sim.apply_circuit(c, {"a": 0.3, "b": 0.9})
        qs = sim.get_qs()
        sim.reset()
        f, g = sim.get_expectation_with_grad(Ham(), c)(np.array([0.3, 0.9]))
        results.append((qs, f, g))
    for a, b in zip(results[0], results[1], strict=True):
        assert np.max(np.abs(a - b)) < 1e-12


@pytest.mark.gpu
@pytest.mark.skipif(not has_real_gpu(), reason="needs cupy and a CUDA device")
def test_gpu_simulator_matches_cpu():
    from quantum import Circuit, gates
    from quantum.simulator import Simulator

    c = Circuit()
    for q in range(12):
        c += gates.RX(0.1 * q + 0.2).on(q)
    for q in range(11):
        c += gates.X.on(q + 1, q)
    a, b = Simulator("gpu", 12), Simulator("cpu", 12)
    a.apply_circuit(c)
    b.apply_circuit(c)
    assert np.max(np.abs(a.get_qs() - b.get_qs())) < 1e-12


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("adj", [False, True])
def test_one_qubit_cheap_forms(mode, adj):
    """Real (RY, H) and RX-like matrices take cheaper kernels; both directions match dense."""
    n = 5
    rng = np.random.default_rng(mode)
    a, b = rng.uniform(0, 6, 2)
    m = {0: np.array([[np.cos(a), -np.exp(1j * b) * np.sin(a)],
                      [np.exp(1j * b) * np.sin(a), np.cos(a)]]),
         1: np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], dtype=complex),
         2: np.array([[np.cos(a), -1j * np.sin(a)], [-1j * np.sin(a), np.cos(a)]])}[mode]
    assert cg.dense1_mode_of(m) == mode
    for t, ctrl in [(0, ()), (3, (1,)), (4, (0, 2))]:
        op = classify_matrix(m, [t], ctrl)
        assert op.mode == mode
        psi = random_state(n, rng)
        v = psi.copy()
        CpuBackend().apply(v, op, adj=adj)
        ref = apply_tensor(psi, m.conj().T if adj else m, [t], list(ctrl), n)
        assert np.max(np.abs(v - ref)) < 1e-12


def test_cache_blocked_runs_match_plain_kernels():
    from quantum.simulator.blocking import BlockRun, plan_blocks

    n = 16
    rng = np.random.default_rng(8)
    ops = []
    for _ in range(6):
        ops += [op for op, _ in _ops(n, rng)]
    plan = plan_blocks(ops, n, block_qubits=10)
    assert any(isinstance(p, BlockRun) for p in plan)
    psi = random_state(n, rng)
    a, b = psi.copy(), psi.copy()
    be = CpuBackend()
    for op in ops:
        be.apply(a, op)
    for p in plan:
        p.run(b) if isinstance(p, BlockRun) else be.apply(b, p)
    assert np.max(np.abs(a - b)) < 1e-12


def test_split_real_imag_blocked_runs_match_tensor_reference():
    """Runs of uncontrolled one-qubit dense/diagonal ops and (multi-)controlled X take the
    split real/imaginary kernels (``cpu_soa``); every target position 0..9 of the chunk,
    controls above and below the target, against numpy tensordot."""
    from quantum.simulator.blocking import BlockRun, plan_blocks

    n = 16
    rng = np.random.default_rng(21)
    ops, mats = [], []
    for _ in range(3):
        for q in range(n):
            m = _unitary(1, rng)
            ops.append(classify_matrix(m, [q], ()))
            mats.append((m, [q], []))
            d = np.diag(np.exp(1j * rng.uniform(0, 6, 2)))
            ops.append(classify_matrix(d, [int(rng.integers(n))], ()))
            mats.append((d, list(ops[-1].targets), []))
        for q in range(n - 1):
            t, c = (q + 1, q) if q % 2 else (q, q + 1)
            ctrl = [c] + ([int((t + 3) % n)] if q % 3 == 0 and (t + 3) % n != c else [])
            x = np.array([[0, 1], [1, 0]], dtype=complex)
            ops.append(classify_matrix(x, [t], tuple(ctrl)))
            mats.append((x, [t], ctrl))
    plan = plan_blocks(ops, n, block_qubits=10)
    runs = [p for p in plan if isinstance(p, BlockRun)]
    assert runs and all(r.soa for r in runs)
    psi = random_state(n, rng)
    ref = psi.copy()
    for m, obj, ctrl in mats:
        ref = apply_tensor(ref, m, obj, ctrl, n)
    v = psi.copy()
    be = CpuBackend()
    for p in plan:
        p.run(v) if isinstance(p, BlockRun) else be.apply(v, p)
    assert np.max(np.abs(v - ref)) < 1e-12


def test_split_blocked_rx_ry_forms_match_tensor_reference():
    """RX-like (real diagonal, imaginary off-diagonal) and real (RY-like) one-qubit matrices
    take the half-arithmetic forms of ``cpu_soa`` on every chunk target 0..9, mixed with
    general matrices and CNOT chains (merged into one GF(2)-affine gather per stretch); a
    matrix swapped in by ``set_op`` re-picks its form."""
    from quantum.kernels.cpu_soa import soa_kind
    from quantum.simulator.blocking import BlockRun, plan_blocks

    n = 16
    rng = np.random.default_rng(33)

    def rx(a):
        return np.array([[np.cos(a), -1j * np.sin(a)], [-1j * np.sin(a), np.cos(a)]])

    def ry(a):
        return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], dtype=complex)

    x = np.array([[0, 1], [1, 0]], dtype=complex)
    assert soa_kind(3, rx(0.3)) == 4 and soa_kind(3, ry(0.3)) == 5
    assert soa_kind(3, rx(0.3) * np.exp(1e-9j)) == 3
    ops, mats = [], []
    for layer in range(3):
        for q in range(n):
            m = (rx, ry, lambda a: _unitary(1, rng))[(q + layer) % 3](rng.uniform(0, 6))
            ops.append(classify_matrix(m, [q], ()))
            mats.append((m, [q], []))
        for q in range(n - 1):
            ops.append(classify_matrix(x, [q + 1], (q,)))
            mats.append((x, [q + 1], [q]))
    plan = plan_blocks(ops, n, block_qubits=10)
    runs = [p for p in plan if isinstance(p, BlockRun)]
    assert runs and all(r.soa for r in runs)
    assert {4, 5, 3} <= set(np.concatenate([r.skind for r in runs]).tolist())
    assert any((r.fkind == 6).any() for r in runs)  # CNOT stretches merged into one gather
    # swap the first RX of the first run for a general matrix (and back to an RY)
    r0 = runs[0]
    j = int(np.flatnonzero(r0.skind == 4)[0])
    for new in (_unitary(1, rng), ry(0.7)):
        r0.set_op(j, new)
        r0.ops[j] = classify_matrix(new, list(r0.ops[j].targets), ())
    assert r0.skind[j] == 5
    psi = random_state(n, rng)
    v = psi.copy()
    be = CpuBackend()
    for p in plan:
        p.run(v) if isinstance(p, BlockRun) else be.apply(v, p)
    # reference: the ops as they now stand, applied with numpy tensordot
    ref = psi.copy()
    for p in plan:
        for op in (p.ops if isinstance(p, BlockRun) else [p]):
            m = op.mat if op.kind == 3 else x
            ref = apply_tensor(ref, m, [int(t) for t in op.targets], list(op.ctrls), n)
    assert np.max(np.abs(v - ref)) < 1e-12


def test_merged_x_runs_with_uncontrolled_x_match_dense_permutation():
    """A stretch of uncontrolled X and CNOTs (an affine, not linear, index map) merged into
    one gather equals the product of the dense permutation matrices; Toffolis stay apart."""
    from quantum.simulator.blocking import BlockRun

    n = 16
    rng = np.random.default_rng(5)
    x = np.array([[0, 1], [1, 0]], dtype=complex)
    spec = [(3, ()), (0, (5,)), (7, (0,)), (9, ()), (2, (9,)), (4, (2, 6)), (6, (4,)),
            (1, ()), (5, (1,)), (8, (7,)), (0, ())]
    ops = [classify_matrix(x, [t], c) for t, c in spec]
    ops.append(classify_matrix(_unitary(1, rng), [3], ()))
    run = BlockRun(ops, n, 10)
    assert run.soa and (run.fkind == 6).sum() == 2 and len(run.fkind) == 4
    psi = random_state(n, rng)
    ref = psi.copy()
    for op, (t, c) in zip(ops, spec + [(3, ())], strict=True):
        m = op.mat if op.kind == 3 else x
        ref = apply_tensor(ref, m, [t], list(c), n)
    v = psi.copy()
    run.run(v)
    assert np.max(np.abs(v - ref)) < 1e-12
