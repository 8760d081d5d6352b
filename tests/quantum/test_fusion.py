"""Gate fusion: fused circuits equal unfused ones and the dense reference; blocks stay small;
no fusion across parameterized gates (gradients) or measurements."""

import numpy as np
import pytest

from quantum import Circuit, gates
from quantum.simulator import Simulator
from quantum.simulator.fusion import fuse_ops
from quantum.simulator.ops import DIAG, compile_gate
from quantum.simulator.program import Program
from tests.quantum.test_simulator import PR, random_circuit
from tests.quantum.test_simulator_reference import apply_reference, random_state


@pytest.mark.parametrize("max_qubits", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", range(4))
def test_fused_random_circuits_equal_dense(max_qubits, seed):
    n = 6
    rng = np.random.default_rng(seed)
    circ = random_circuit(n, 80, rng, params=False)
    ops = [compile_gate(g, n) for g in circ]
    fused = fuse_ops(ops, max_qubits)
    assert len(fused) <= len(ops)
    # a fused block never exceeds max_qubits; wider gates pass through unchanged
    assert all(any(op is o for o in ops) or len(op.qubits) <= max_qubits for op in fused)
    psi = random_state(n, rng)
    sim = Simulator("cpu", n, fusion=True, fusion_max_qubits=max_qubits)
    sim.set_qs(psi)
    sim.apply_circuit(circ)
    assert np.max(np.abs(sim.get_qs() - apply_reference(circ, psi, n))) < 1e-12


def test_block_size_is_bounded_and_layers_shrink():
    """RX layer + CNOT chain (the Q1 benchmark layer): 3-qubit fusion halves the op count."""
    n = 10
    c = Circuit()
    for q in range(n):
        c += gates.RX(0.1 * q).on(q)
    for q in range(n - 1):
        c += gates.X.on(q + 1, q)
    prog = Program.bound(c, n, fusion=True, max_qubits=3)
    assert all(len(op.qubits) <= 3 for op in prog.ops)
    assert len(prog.ops) <= (2 * n - 1) // 2 + 1
    psi = random_state(n, np.random.default_rng(0))
    sim = Simulator("cpu", n)
    sim.set_qs(psi)
    sim.apply_circuit(c)
    assert np.max(np.abs(sim.get_qs() - apply_reference(c, psi, n))) < 1e-12


def test_diagonal_runs_stay_diagonal():
    ops = [compile_gate(g, 3) for g in [gates.Z.on(0), gates.S.on(1), gates.T.on(0, 1),
                                         gates.RZ(0.3).on(2)]]
    fused = fuse_ops(ops, 3)
    assert len(fused) == 1 and fused[0].kind == DIAG


def test_no_fusion_across_parameterized_gates():
    c = Circuit([gates.H.on(0), gates.X.on(1, 0), gates.RY("a").on(0), gates.H.on(0),
                 gates.S.on(0)])
    prog = Program.parametric(c, 2, ["a"], fusion=True)
    kinds = [op.param is not None for op in prog.ops]
    assert kinds == [False, True, False]  # H+CNOT | RY | H+S
    f, g = Simulator("cpu", 2).get_expectation_with_grad(
        type("H", (), {"terms": [(((0, "X"),), 1.0)]})(), c)(np.array([0.4]))
    f2, g2 = Simulator("cpu", 2, fusion=False).get_expectation_with_grad(
        type("H", (), {"terms": [(((0, "X"),), 1.0)]})(), c)(np.array([0.4]))
    assert abs(f - f2).max() < 1e-12 and abs(g - g2).max() < 1e-12


def test_measurements_are_not_fused_over():
    c = Circuit([gates.H.on(0), gates.Measure("m").on(0), gates.H.on(0), gates.Measure("n").on(0)])
    res = Simulator("cpu", 1).sampling(c, shots=2000, seed=5)
    # after a measurement the second H randomises again: all four outcomes appear
    assert set(res.data) == {"00", "01", "10", "11"}
    assert PR  # the shared parameter table is importable
