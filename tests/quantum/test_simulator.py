"""Simulator: every gate and random circuits against kron-built dense matrices, state API, errors.

Reference: :mod:`tests.quantum.test_simulator_reference` (numpy tensordot/kron, independent of
the kernels). Tolerance 1e-12 in complex128, 2e-5 in complex64.
"""

import numpy as np
import pytest

from quantum import Circuit, ParameterResolver, gates
from quantum.simulator import Simulator
from tests.quantum.test_simulator_reference import (
    apply_reference,
    apply_tensor,
    dense_unitary,
    gate_matrix,
    ham_matrix,
    random_state,
)

TOL = {np.complex128: 1e-12, np.complex64: 2e-5}


def _custom_param_gate():
    def mat(t):
        return np.array([[np.cos(t), -1j * np.sin(t)], [-1j * np.sin(t), np.cos(t)]])

    def diff(t):
        return np.array([[-np.sin(t), -1j * np.cos(t)], [-1j * np.cos(t), -np.sin(t)]])

    return gates.gene_univ_parameterized_gate("myrx2", mat, diff)


def _rand_unitary(k, rng):
    q, r = np.linalg.qr(rng.normal(size=(1 << k, 1 << k)) + 1j * rng.normal(size=(1 << k,) * 2))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def gate_zoo(rng):
    """(gate template, number of targets) for every gate kind."""
    fixed1 = [gates.I, gates.X, gates.Y, gates.Z, gates.H, gates.S, gates.T, gates.SX,
              gates.Sdag, gates.Tdag, gates.SXdag]
    fixed2 = [gates.SWAP, gates.ISWAP, gates.ISWAPdag]
    p1 = [gates.RX("a"), gates.RY({"a": 2.0, "b": -0.5}), gates.RZ("b"), gates.PhaseShift("a"),
          gates.GlobalPhase("b"), gates.U3("a", "b", ParameterResolver({"a": 1.0}, 0.3)),
          _custom_param_gate()("a")]
    p2 = [gates.Rxx("a"), gates.Ryy("b"), gates.Rzz("a"), gates.Rxy("b"), gates.Rxz("a"),
          gates.Ryz("b"), gates.FSim("a", "b"), gates.Givens("a"), gates.SWAPalpha("b")]
    out = [(g, 1) for g in fixed1 + p1] + [(g, 2) for g in fixed2 + p2]
    out += [(gates.UnivMathGate("u1", _rand_unitary(1, rng)), 1),
            (gates.UnivMathGate("u2", _rand_unitary(2, rng)), 2),
            (gates.UnivMathGate("u3", _rand_unitary(3, rng)), 3)]
    return out


PR = {"a": 0.731, "b": -1.917}


def _place(g, k, n, n_ctrl, rng):
    qs = rng.permutation(n)
    return g.on([int(q) for q in qs[:k]], [int(q) for q in qs[k:k + n_ctrl]])


@pytest.mark.parametrize("n", [2, 3, 5, 7, 10])
def test_every_gate_matches_dense_matrix(n):
    rng = np.random.default_rng(n)
    for g, k in gate_zoo(rng):
        if k > n:
            continue
        for n_ctrl in range(0, min(2, n - k) + 1):
            gate = _place(g, k, n, n_ctrl, rng)
            psi = random_state(n, rng)
            sim = Simulator("cpu", n)
            sim.set_qs(psi)
            sim.apply_gate(gate, PR)
            ref = apply_tensor(psi, gate_matrix(gate, PR), gate.obj_qubits, gate.ctrl_qubits, n)
            err = np.max(np.abs(sim.get_qs() - ref))
            assert err < 1e-12, f"{gate} on n={n}: {err}"


def random_circuit(n, n_gates, rng, params=True):
    zoo = gate_zoo(rng)
    if not params:
        zoo = [(g, k) for g, k in zoo if not g.parameterized]
    circ = Circuit()
    for _ in range(n_gates):
        g, k = zoo[rng.integers(len(zoo))]
        if k > n:
            continue
        circ += _place(g, k, n, int(rng.integers(0, min(2, n - k) + 1)), rng)
    return circ


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("fusion", [False, True])
@pytest.mark.parametrize("n", [3, 6, 9])
def test_random_circuits_match_dense(n, fusion, dtype):
    rng = np.random.default_rng(100 + n)
    circ = random_circuit(n, 60, rng)
    psi = random_state(n, rng)
    sim = Simulator("mqvector", n, dtype=dtype, fusion=fusion)
    sim.set_qs(psi)
    sim.apply_circuit(circ, PR)
    ref = apply_reference(circ, psi, n, PR)
    assert sim.get_qs().dtype == dtype
    assert np.max(np.abs(sim.get_qs() - ref)) < TOL[dtype] * (100 if dtype == np.complex64 else 1)


def test_parallel_kernels_match_dense_on_15_qubits(monkeypatch):
    """Force the parallel kernels (normally from 2**17 amplitudes); compare against dense gates."""
    from quantum.kernels import cpu_gates

    monkeypatch.setattr(cpu_gates, "PAR_THRESHOLD", 1 << 10)
    n = 15
    rng = np.random.default_rng(7)
    psi = random_state(n, rng)
    sim = Simulator("cpu", n, fusion=False)
    sim.set_qs(psi)
    ref = psi.copy()
    for g, k in gate_zoo(rng)[::3]:
        gate = _place(g, k, n, 1, rng)
        sim.apply_gate(gate, PR)
        # apply the reference gate on the tensor without forming 2**15 x 2**15 matrices
        ref = apply_tensor(ref, gate_matrix(gate, PR), gate.obj_qubits, gate.ctrl_qubits, n)
    assert np.max(np.abs(sim.get_qs() - ref)) < 1e-12


def test_norm_stays_one_over_ten_thousand_gates():
    n = 6
    rng = np.random.default_rng(3)
    circ = random_circuit(n, 400, rng)
    sim = Simulator("cpu", n, fusion=False)
    for _ in range(25):  # 10^4 gates
        sim.apply_circuit(circ, PR)
    assert abs(np.linalg.norm(sim.get_qs()) - 1.0) < 1e-12


def test_matches_mindquantum_state():
    mq = pytest.importorskip("mindquantum")
    from mindquantum.core import gates as G

    n = 4
    ours = Circuit([gates.H.on(0), gates.RX("a").on(1, 0), gates.Rzz("b").on([1, 3]),
                    gates.U3("a", "b", "a").on(2, [0, 3]), gates.ISWAP.on([0, 2]),
                    gates.PhaseShift("b").on(3), gates.FSim("a", "b").on([1, 2])])
    theirs = mq.Circuit([G.H.on(0), G.RX("a").on(1, 0), G.Rzz("b").on([1, 3]),
                         G.U3("a", "b", "a").on(2, [0, 3]), G.ISWAP.on([0, 2]),
                         G.PhaseShift("b").on(3), G.FSim("a", "b").on([1, 2])])
    sim = Simulator("cpu", n)
    sim.apply_circuit(ours, PR)
    ref = theirs.get_qs(pr=PR)
    assert np.max(np.abs(sim.get_qs() - ref)) < 1e-12


# ----------------------------------------------------------------------------- state API
def test_set_qs_normalises_and_reset():
    sim = Simulator("cpu", 2)
    sim.set_qs(np.array([1, 1, 0, 0]))
    assert np.allclose(sim.get_qs(), [2 ** -0.5, 2 ** -0.5, 0, 0])
    sim.reset()
    assert np.allclose(sim.get_qs(), [1, 0, 0, 0])
    assert sim.n_qubits == 2 and sim.backend == "cpu"


def test_apply_hamiltonian_and_expectation_match_dense():

    n = 4
    rng = np.random.default_rng(5)
    terms = [(((0, "X"), (2, "Y")), 0.5), (((1, "Z"),), -1.25), ((), 0.3),
             (((0, "Y"), (1, "Y"), (3, "X")), 0.7)]
    psi = random_state(n, rng)
    sim = Simulator("cpu", n)
    sim.set_qs(psi)
    e = sim.get_expectation(terms)
    h = ham_matrix(terms, n)
    assert abs(e - psi.conj() @ h @ psi) < 1e-12
    sim.apply_hamiltonian(terms)
    assert np.max(np.abs(sim.get_qs() - h @ psi)) < 1e-12


def test_get_expectation_with_circuits_matches_dense():
    n = 3
    rng = np.random.default_rng(9)
    cr = random_circuit(n, 20, rng)
    cl = random_circuit(n, 20, rng)
    terms = [(((0, "X"), (2, "Z")), 0.5), (((1, "Y"),), 1.5)]
    sim = Simulator("cpu", n)
    e = sim.get_expectation(terms, cr, cl, PR)
    zero = np.zeros(1 << n)
    zero[0] = 1
    ref = (dense_unitary(cl, n, PR) @ zero).conj() @ ham_matrix(terms, n) @ (
        dense_unitary(cr, n, PR) @ zero)
    assert abs(e - ref) < 1e-12


# ----------------------------------------------------------------------------- sampling
def test_sampling_distribution_and_keys():
    n = 3
    c = Circuit([gates.X.on(0), gates.H.on(2), gates.RX(2 * np.arccos(np.sqrt(0.8))).on(1),
                 gates.Measure("q0").on(0), gates.Measure("q1").on(1), gates.Measure("q2").on(2)])
    sim = Simulator("cpu", n, seed=1)
    res = sim.sampling(c, shots=20000, seed=42)
    assert res.keys == ["q0", "q1", "q2"] and res.shots == 20000
    assert sum(res.data.values()) == 20000
    # little endian: q0 is the rightmost character and always 1
    assert all(k[-1] == "1" for k in res.data)
    p_q1 = res.samples[:, 1].mean()
    p_q2 = res.samples[:, 2].mean()
    assert abs(p_q1 - 0.2) < 0.02 and abs(p_q2 - 0.5) < 0.02
    assert np.allclose(sim.get_qs()[0], 1)  # state untouched
    again = sim.sampling(c, shots=20000, seed=42)
    assert again.data == res.data  # same seed, same counts


def test_sampling_mid_circuit_measurement_collapses():
    c = Circuit([gates.H.on(0), gates.Measure("m0").on(0), gates.X.on(1, 0),
                 gates.Measure("m1").on(1)])
    res = Simulator("cpu", 2).sampling(c, shots=400, seed=3)
    assert set(res.data) <= {"00", "11"} and len(res.data) == 2


# ----------------------------------------------------------------------------- errors
def test_error_qubit_out_of_range():
    sim = Simulator("cpu", 2)
    with pytest.raises(ValueError, match="qubit 2"):
        sim.apply_gate(gates.X.on(2))
    with pytest.raises(ValueError, match="qubit 5"):
        sim.apply_circuit(Circuit([gates.H.on(0), gates.X.on(0, 5)]))


def test_error_missing_parameter():
    sim = Simulator("cpu", 1)
    with pytest.raises(ValueError, match="'b'"):
        sim.apply_circuit(Circuit([gates.RX({"a": 1.0, "b": 2.0}).on(0)]), {"a": 0.1})


def test_error_wrong_state_length():
    sim = Simulator("cpu", 2)
    with pytest.raises(ValueError, match="length 3"):
        sim.set_qs(np.ones(3))


def test_error_hamiltonian_wider_than_simulator():
    sim = Simulator("cpu", 2)
    with pytest.raises(ValueError, match="qubit 3"):
        sim.get_expectation([(((3, "Z"),), 1.0)])


def test_error_target_is_control_and_non_unitary():
    from quantum.simulator.ops import compile_gate

    class Fake:
        name, obj_qubits, ctrl_qubits, parameterized = "fake", [0], [0], False

        def matrix(self):
            return np.eye(2)

    with pytest.raises(ValueError, match="both a target and a control"):
        compile_gate(Fake(), 2)
    Fake.ctrl_qubits = []
    Fake.matrix = lambda self: np.array([[1, 1], [0, 1]], dtype=complex)
    with pytest.raises(ValueError, match="not unitary"):
        compile_gate(Fake(), 2)


def test_error_bad_backend_and_gpu_without_cupy():
    with pytest.raises(ValueError, match="Unknown simulator backend"):
        Simulator("tpu", 2)
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="cupy"):
            Simulator("gpu", 2)


@pytest.mark.parametrize("sparse", [False, True])
def test_quantum_hamiltonian_objects_term_and_sparse(sparse):
    from quantum import Hamiltonian, QubitOperator

    n = 4
    terms = [(((0, "X"), (2, "Y")), 0.5), (((1, "Z"),), -1.25), ((), 0.3)]
    op = QubitOperator("X0 Y2", 0.5) + QubitOperator("Z1", -1.25) + QubitOperator("", 0.3)
    ham = Hamiltonian(op)
    if sparse:
        ham.sparse(n)
    psi = random_state(n, np.random.default_rng(12))
    sim = Simulator("cpu", n)
    sim.set_qs(psi)
    h = ham_matrix(terms, n)
    assert abs(sim.get_expectation(ham) - psi.conj() @ h @ psi) < 1e-12
    assert abs(sim.get_expectation(op) - psi.conj() @ h @ psi) < 1e-12
    sim.apply_hamiltonian(ham)
    assert np.max(np.abs(sim.get_qs() - h @ psi)) < 1e-12


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_cache_blocked_circuit_on_16_qubits_matches_reference(dtype):
    n = 16
    rng = np.random.default_rng(16)
    circ = random_circuit(n, 120, rng, params=True)
    psi = random_state(n, rng)
    ref = apply_reference(circ, psi, n, PR)
    for blocking in (True, False):
        sim = Simulator("cpu", n, blocking=blocking, dtype=dtype)
        sim.set_qs(psi)
        sim.apply_circuit(circ, PR)
        assert np.max(np.abs(sim.get_qs() - ref)) < (1e-12 if dtype == np.complex128 else 1e-5)


def test_diff_gate_and_measure_gate_outcome():
    n = 2
    psi = random_state(n, np.random.default_rng(4))
    sim = Simulator("cpu", n)
    sim.set_qs(psi)
    g = gates.RY("a").on(1, 0)
    sim.apply_gate(g, {"a": 0.7}, diff=True)
    d = g.diff_matrices_from_values(0.7)[0]
    ref = apply_tensor(psi, d, [1], [0], n)
    ref[[0, 2]] = 0  # the controlled derivative vanishes where the control is 0
    assert np.max(np.abs(sim.get_qs() - ref)) < 1e-12  # not renormalised, as MindQuantum
    sim = Simulator("cpu", 1, seed=3)
    sim.apply_gate(gates.X.on(0))
    assert sim.apply_gate(gates.Measure("m").on(0)) == 1
