"""Chemistry circuits: TimeEvolution vs scipy expm, UCCSD vs MindQuantum and CC theory,
hardware-efficient layout."""

import numpy as np
import pytest
import scipy.linalg as la

from quantum import QubitOperator, gates
from quantum.chem import (
    UCCSD,
    HardwareEfficientAnsatz,
    TimeEvolution,
    get_reference_circuit,
    jordan_wigner,
    load_molecule,
    uccsd_singlet_generator,
)


@pytest.mark.parametrize("term", ["X0", "Y1", "Z0 Z2", "X0 Y1 Z2", "Y0 X2", ""])
def test_time_evolution_single_term_exact(term):
    op = QubitOperator(term, 0.37) + QubitOperator("Z1", 0.0)
    t = 0.81
    u = TimeEvolution(op, t).circuit.matrix() if term else None
    if term:
        n = int(np.log2(u.shape[0]))
        np.testing.assert_allclose(u, la.expm(-1j * t * op.matrix(n).toarray()), atol=1e-12)
    else:  # identity: a global phase gate
        c = TimeEvolution(QubitOperator("", 0.37), t).circuit
        np.testing.assert_allclose(c.matrix(), np.exp(-1j * 0.37 * t) * np.eye(2), atol=1e-12)


def test_time_evolution_commuting_sum_and_trotter_convergence():
    comm = QubitOperator("Z0 Z1", 0.4) + QubitOperator("X0 X1", -0.3) + QubitOperator("", 0.1)
    u = TimeEvolution(comm, 1.3).circuit.matrix()
    np.testing.assert_allclose(u, la.expm(-1.3j * comm.matrix(2).toarray()), atol=1e-12)
    h = QubitOperator("X0", 0.7) + QubitOperator("Z0 Z1", 0.5) + QubitOperator("Y1", 0.3)
    exact = la.expm(-1j * h.matrix(2).toarray())
    errs = [np.abs(TimeEvolution(h, 1.0, n).circuit.matrix() - exact).max() for n in (4, 8, 16)]
    assert errs[0] > errs[1] > errs[2]
    assert 1.7 < errs[0] / errs[1] < 2.3  # first-order Trotter: error ~ 1/n


def test_time_evolution_parameterized_time_and_errors():
    op = QubitOperator("X0 Y1", 0.5)
    circ = TimeEvolution(op, "t").circuit
    assert circ.params_name == ["t"]
    np.testing.assert_allclose(circ.matrix({"t": 0.6}),
                               la.expm(-0.6j * op.matrix(2).toarray()), atol=1e-12)
    with pytest.raises(ValueError, match=r"\[X0\]"):
        TimeEvolution(QubitOperator("X0", 1j), 1.0)


def test_uccsd_generator_matches_mindquantum():
    pytest.importorskip("mindquantum")
    from mindquantum.algorithm.nisq.chem import uccsd_singlet_generator as mq_gen

    rng = np.random.default_rng(0)
    for n_q, n_e in ((4, 2), (8, 4), (8, 2)):
        ours, theirs = uccsd_singlet_generator(n_q, n_e), mq_gen(n_q, n_e)
        names = sorted({k for c in ours.terms.values() for k in c.keys()})
        assert names == sorted(set(theirs.params_name))
        vals = {k: float(rng.normal()) for k in names}
        np.testing.assert_allclose(ours.subs(vals).matrix(n_q).toarray(),
                                   theirs.subs(vals).matrix(n_q).toarray(), atol=1e-12)


def test_uccsd_parameter_counts_and_unitary_of_generator():
    assert len(UCCSD(n_qubits=4, n_electrons=2).params_name) == 2
    assert len(UCCSD(n_qubits=12, n_electrons=4).params_name) == 44  # MindQuantum's LiH count
    # at one parameter, the (commuting) Trotter product is exactly exp(G)
    u = UCCSD(n_qubits=4, n_electrons=2)
    gen = uccsd_singlet_generator(4, 2)
    for name in ("s_0", "d1_0"):
        vals = {"s_0": 0.0, "d1_0": 0.0, name: 0.23}
        g = jordan_wigner(gen.subs(vals), 4).matrix(4).toarray()
        np.testing.assert_allclose(u.ansatz_circuit.matrix(vals), la.expm(g), atol=1e-12)
    hf = get_reference_circuit(2).get_qs()
    assert abs(hf[0b11]) == 1.0


@pytest.mark.parametrize("name,r", [("H2", 0.7414), ("LiH", 1.45)])
def test_uccsd_cc_amplitude_initialisation(name, r):
    """UCC at the CCSD amplitudes reproduces the CCSD energy (same first-order wave
    function), and MP2 amplitudes lower the energy below Hartree-Fock."""
    from quantum import Hamiltonian, Simulator

    mol = load_molecule(name, r)
    sim = Simulator("cpu", mol.n_qubits)
    ham = Hamiltonian(mol.hamiltonian()).sparse(mol.n_qubits)
    ccsd = UCCSD(mol, init="ccsd")
    e = {}
    for init in ("zeros", "mp2", "ccsd"):
        u = UCCSD(mol, init=init)
        e[init] = sim.get_expectation(ham, u.circuit, pr=dict(zip(u.params_name,
                                                                  u.initial_point, strict=True))).real
        assert u.params_name == ccsd.params_name
    assert abs(e["zeros"] - mol.hf_energy) < 1e-10
    assert e["mp2"] < mol.hf_energy - 0.5 * (mol.hf_energy - mol.mp2_energy)
    assert abs(e["ccsd"] - mol.ccsd_energy) < 1e-5
    with pytest.raises(ValueError, match="init"):
        UCCSD(mol, init="cisd")
    with pytest.raises(ValueError, match="MP2"):
        UCCSD(mol.active_space(0, mol.n_orbitals - 1), init="mp2")


def test_hardware_efficient_layout():
    hea = HardwareEfficientAnsatz(4, [gates.RY, gates.RZ], gates.X, depth=2)
    assert len(hea.circuit.params_name) == 24  # MindQuantum's count for this call
    n_cnot = sum(1 for g in hea.circuit if g.name in ("X", "CNOT") and g.ctrl_qubits)
    assert n_cnot == 6
    with pytest.raises(ValueError, match="entangle_mapping"):
        HardwareEfficientAnsatz(3, entangle_mapping=[(0, 3)])
    full = HardwareEfficientAnsatz(3, entangle_mapping="all", depth=1)
    assert sum(1 for g in full.circuit if g.ctrl_qubits) == 3
