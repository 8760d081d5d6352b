"""Density backend vs peers: MindQuantum's ``mqmatrix`` and qiskit-aer's density-matrix method.

MindQuantum 0.12 hangs on ``DepolarizingChannel`` in ``mqmatrix``, so the shared
circuits use ``PauliChannel`` there; our depolarizing channel is compared with
Aer's ``depolarizing_error`` instead (same definition: ``(1-p) rho + p I/2**n``).
"""

import numpy as np
import pytest

from quantum import Circuit, Hamiltonian, QubitOperator, Simulator, gates

# (kind, arg, targets, controls); angles name parameters
SPEC = [
    ("H", None, [0], []), ("RX", "a", [1], []), ("RY", "b", [2], [0]),
    ("PC", (0.05, 0.02, 0.08), [1], []), ("X", None, [2], [1]), ("RZ", "c", [0], [2]),
    ("ADC", 0.15, [2], []), ("Rxx", "a", [0, 2], []), ("PDC", 0.25, [0], []),
    ("RY", "c", [1], []), ("BFC", 0.1, [0], []), ("PFC", 0.12, [1], []),
    ("BPFC", 0.07, [2], []), ("RX", "b", [2], [1]), ("ADC", 0.3, [1], []),
]
VALUES = {"a": 0.37, "b": -1.21, "c": 2.05}


def ours(spec):
    mk = {"H": lambda a: gates.H, "X": lambda a: gates.X, "RX": gates.RX, "RY": gates.RY,
          "RZ": gates.RZ, "Rxx": gates.Rxx, "PC": lambda a: gates.PauliChannel(*a),
          "ADC": gates.AmplitudeDampingChannel, "PDC": gates.PhaseDampingChannel,
          "BFC": gates.BitFlipChannel, "PFC": gates.PhaseFlipChannel,
          "BPFC": gates.BitPhaseFlipChannel}
    return Circuit([mk[k](a).on(t, c or None) for k, a, t, c in spec])


def test_against_mindquantum_mqmatrix():
    mq = pytest.importorskip("mindquantum")
    from mindquantum.core import gates as G
    from mindquantum.core.circuit import Circuit as MQCircuit
    from mindquantum.core.operators import Hamiltonian as MQHam
    from mindquantum.core.operators import QubitOperator as MQOp

    mk = {"H": lambda a: G.H, "X": lambda a: G.X, "RX": G.RX, "RY": G.RY, "RZ": G.RZ,
          "Rxx": G.Rxx, "PC": lambda a: G.PauliChannel(*a), "ADC": G.AmplitudeDampingChannel,
          "PDC": G.PhaseDampingChannel, "BFC": G.BitFlipChannel, "PFC": G.PhaseFlipChannel,
          "BPFC": G.BitPhaseFlipChannel}
    mc = MQCircuit([mk[k](a).on(t, c or None) for k, a, t, c in SPEC])
    oc = ours(SPEC)
    n = 3
    msim = mq.simulator.Simulator("mqmatrix", n)
    msim.apply_circuit(mc, VALUES)
    sim = Simulator("mqmatrix", n)
    sim.apply_circuit(oc, VALUES)
    np.testing.assert_allclose(sim.get_qs(), msim.get_qs(), atol=1e-12)
    terms = [("Z0 Z1", 0.7), ("X2", -0.4), ("Y0 Y2", 0.3)]
    mh = MQHam(sum((MQOp(t, c) for t, c in terms), MQOp()))
    oh = Hamiltonian(sum((QubitOperator(t, c) for t, c in terms), QubitOperator()))
    x = np.array([VALUES[p] for p in mc.params_name])
    assert mc.params_name == oc.params_name
    mf, mg = mq.simulator.Simulator("mqmatrix", n).get_expectation_with_grad(mh, mc)(x)
    f, g = Simulator("density", n).get_expectation_with_grad(oh, oc)(x)
    np.testing.assert_allclose(f, mf, atol=1e-12)
    np.testing.assert_allclose(g, mg, atol=1e-12)


def test_thermal_relaxation_kraus_against_mindquantum():
    """MindQuantum 0.12's mqmatrix also hangs applying ThermalRelaxationChannel, so the
    comparison is with the action of its Kraus operators (``.matrix()``, pure Python)."""
    pytest.importorskip("mindquantum")
    from mindquantum.core.gates import ThermalRelaxationChannel as MQT

    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    rho = a @ a.conj().T / np.trace(a @ a.conj().T)
    for t1, t2, tg in [(100.0, 80.0, 10.0), (30.0, 55.0, 5.0), (20.0, 5.0, 3.0)]:
        want = sum(k @ rho @ k.conj().T for k in MQT(t1, t2, tg).matrix())
        sim = Simulator("density", 1)
        sim.set_qs(rho)
        sim.apply_gate(gates.ThermalRelaxationChannel(t1, t2, tg).on(0))
        np.testing.assert_allclose(sim.get_qs(), want, atol=1e-13)


def test_depolarizing_against_qiskit_aer():
    pytest.importorskip("qiskit_aer")
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import depolarizing_error

    n = 3
    qc = QuantumCircuit(n)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.7, 2)
    qc.append(depolarizing_error(0.2, 1).to_instruction(), [1])
    qc.rx(1.3, 1)
    qc.append(depolarizing_error(0.3, 2).to_instruction(), [2, 0])
    qc.cp(0.4, 1, 2)
    qc.save_density_matrix()
    aer = AerSimulator(method="density_matrix")
    rho_aer = np.asarray(aer.run(qc).result().data()["density_matrix"])
    oc = Circuit([gates.H.on(0), gates.X.on(1, 0), gates.RY(0.7).on(2),
                  gates.DepolarizingChannel(0.2).on(1), gates.RX(1.3).on(1),
                  gates.DepolarizingChannel(0.3, 2).on([2, 0]), gates.PhaseShift(0.4).on(2, 1)])
    sim = Simulator("density", n)
    sim.apply_circuit(oc)
    # qiskit: qubit 0 is the least significant bit, as here
    np.testing.assert_allclose(sim.get_qs(), rho_aer, atol=1e-12)
