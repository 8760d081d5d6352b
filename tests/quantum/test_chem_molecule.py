"""Shipped molecules and molecular Hamiltonians.

References: OpenFermion's H2/LiH data files (energies and the H2 Hamiltonian as
quoted in shared/reference/quantum_anchors.md section 5), PySCF (FCI, CASCI) and
MindQuantum's InteractionOperator -> FermionOperator -> Jordan-Wigner path.
"""

import numpy as np
import pytest
import scipy.sparse.linalg as sla

import quantum
from quantum import QubitOperator
from quantum.chem import (
    InteractionOperator,
    available_molecules,
    get_qubit_hamiltonian,
    jordan_wigner,
    load_molecule,
)

H2_FCI = -1.137270174625  # OpenFermion H2_sto-3g_singlet_0.7414
H2_HF = -1.116684386907
LIH_FCI = -7.880982315  # OpenFermion H1-Li1_sto-3g_singlet_1.45


def sector_ground_energy(op, n_qubits: int, n_electrons: int) -> float:
    """Lowest eigenvalue in the fixed-electron-number sector (JW basis) of a QubitOperator
    or its sparse matrix."""
    mat = (op.matrix(n_qubits) if isinstance(op, QubitOperator) else op).tocsr()
    idx = [x for x in range(2**n_qubits) if bin(x).count("1") == n_electrons]
    sub = mat[idx][:, idx]
    if sub.shape[0] <= 1000:
        return float(np.linalg.eigvalsh(sub.toarray())[0])
    return float(sla.eigsh(sub, k=1, which="SA")[0][0])


def test_shipped_data_set():
    avail = available_molecules()
    assert {"H2", "LiH", "H4"} <= set(avail)
    assert 0.7414 in avail["H2"] and 1.45 in avail["LiH"] and 1.0 in avail["H4"]
    assert min(avail["H2"]) <= 0.5 and max(avail["H2"]) >= 2.5
    assert len(avail["LiH"]) >= 5
    with pytest.raises(ValueError, match="available"):
        load_molecule("H2", 0.7415)
    with pytest.raises(ValueError, match="No shipped data for molecule 'BeH2'"):
        load_molecule("BeH2", 1.3)


def test_h2_reference_energies_and_hamiltonian_terms():
    mol = quantum.chem.load_molecule("H2", 0.7414)
    assert mol.n_qubits == 4 and mol.n_electrons == 2
    assert abs(mol.nuclear_repulsion - 0.713753990545) < 1e-8  # Bohr constant differs
    assert abs(mol.hf_energy - H2_HF) < 1e-9
    assert abs(mol.fci_energy - H2_FCI) < 1e-9
    ham = mol.hamiltonian()
    # OpenFermion's JW Hamiltonian of the same molecule (orbital phases cancel in H2)
    expect = {
        "": -0.098863973518, "Z0": 0.171197748533, "Z1": 0.171197748533,
        "Z2": -0.222785928901, "Z3": -0.222785928901, "Z0 Z1": 0.168622191433,
        "Z0 Z2": 0.120544821866, "Z1 Z3": 0.120544821866, "Z0 Z3": 0.165867023964,
        "Z1 Z2": 0.165867023964, "Z2 Z3": 0.174348441706,
        "X0 Y1 Y2 X3": 0.045322202099, "Y0 X1 X2 Y3": 0.045322202099,
        "Y0 Y1 X2 X3": -0.045322202099, "X0 X1 Y2 Y3": -0.045322202099,
    }
    ref = QubitOperator()
    for k, v in expect.items():
        ref += QubitOperator(k, v)
    diff = (ham - ref).compress(1e-8)  # constant: E_nuc differs by 4e-9
    assert not diff.terms, f"terms differing from OpenFermion: {diff}"
    evals = np.linalg.eigvalsh(ham.matrix(4).toarray())
    assert abs(evals[0] - H2_FCI) < 1e-10
    hf = ham.matrix(4).toarray()[0b0011, 0b0011].real
    assert abs(hf - H2_HF) < 1e-9


@pytest.mark.parametrize("name,r,fci", [("LiH", 1.45, LIH_FCI), ("H4", 1.0, -2.166387449)])
def test_jw_ground_state_equals_fci(name, r, fci):
    mol = load_molecule(name, r)
    mat = mol.hamiltonian().matrix(mol.n_qubits)
    e0 = sector_ground_energy(mat, mol.n_qubits, mol.n_electrons)
    assert abs(e0 - mol.fci_energy) < 1e-10
    assert abs(e0 - fci) < 2e-9  # the published value, to its printed digits
    hf_index = (1 << mol.n_electrons) - 1
    hf = mat[hf_index, hf_index].real
    assert abs(hf - mol.hf_energy) < 1e-9


def test_transforms_same_spectrum_h4():
    mol = load_molecule("H4", 1.0)
    spectra = [np.linalg.eigvalsh(mol.hamiltonian(t).matrix(8).toarray())
               for t in ("jordan_wigner", "parity", "bravyi_kitaev")]
    np.testing.assert_allclose(spectra[1], spectra[0], atol=1e-10)
    np.testing.assert_allclose(spectra[2], spectra[0], atol=1e-10)
    assert abs(spectra[0][0] - mol.fci_energy) < 1e-10
    with pytest.raises(ValueError, match="Unknown transform"):
        mol.hamiltonian("ternary")


def test_h2_dissociation_curve_physics():
    """FCI below HF everywhere, the FCI curve has its minimum near 0.74 A, and the JW
    ground state equals the stored FCI at every shipped bond length."""
    rs = available_molecules()["H2"]
    fci = []
    for r in rs:
        mol = load_molecule("H2", r)
        assert mol.fci_energy < mol.hf_energy
        e0 = np.linalg.eigvalsh(mol.hamiltonian().matrix(4).toarray())[0]
        assert abs(e0 - mol.fci_energy) < 1e-10
        fci.append(mol.fci_energy)
    assert 0.65 < rs[int(np.argmin(fci))] < 0.8


def test_against_mindquantum_jordan_wigner():
    pytest.importorskip("mindquantum")
    from mindquantum.algorithm.nisq import Transform as MQTransform
    from mindquantum.core.operators import InteractionOperator as MQInteraction
    from mindquantum.core.operators import get_fermion_operator as mq_get_fermion_operator

    mol = load_molecule("LiH", 1.45)
    io = mol.get_molecular_hamiltonian()
    mq = MQTransform(mq_get_fermion_operator(
        MQInteraction(io.constant, io.one_body_tensor, io.two_body_tensor))).jordan_wigner()
    mq = mq.compress(1e-14)
    ours = mol.hamiltonian()
    assert len(ours.terms) == 631
    theirs = {}
    for key, coeff in mq.terms.items():
        c = complex(coeff.const)
        theirs[tuple(sorted((int(q), str(p)) for q, p in key))] = c
    assert set(theirs) == set(ours.terms)
    err = max(abs(theirs[k] - complex(v)) for k, v in ours.terms.items())
    assert err < 1e-12


def test_active_space_matches_pyscf_casci():
    pytest.importorskip("pyscf")
    from pyscf import gto, mcscf, scf

    mol = load_molecule("LiH", 1.45)
    act = mol.active_space(n_core=1, n_active=3)
    assert act.n_qubits == 6 and act.n_electrons == 2
    e_act = sector_ground_energy(act.hamiltonian(), act.n_qubits, act.n_electrons)
    pm = gto.M(atom=[(str(s), tuple(x)) for s, x in zip(mol.symbols, mol.coords, strict=True)],
               basis="sto-3g", unit="Angstrom", verbose=0)
    mf = scf.RHF(pm)
    mf.conv_tol = 1e-12
    mf.kernel()
    e_cas = mcscf.CASCI(mf, 3, 2).kernel()[0]
    assert abs(e_act - e_cas) < 1e-8
    with pytest.raises(ValueError, match="does not fit"):
        mol.active_space(2, 5)


def test_from_pyscf_matches_shipped_and_interaction_operator():
    pytest.importorskip("pyscf")
    mol = quantum.chem.from_pyscf([("H", (0, 0, 0)), ("H", (0, 0, 0.7414))], name="H2")
    ref = load_molecule("H2", 0.7414)
    assert abs(mol.fci_energy - ref.fci_energy) < 1e-9
    e0 = np.linalg.eigvalsh(get_qubit_hamiltonian(mol).matrix(4).toarray())[0]
    assert abs(e0 - H2_FCI) < 1e-9
    with pytest.raises(ValueError, match="two_body_tensor"):
        InteractionOperator(0.0, np.zeros((2, 2)), np.zeros((3, 3, 3, 3)))
    assert jordan_wigner(ref.get_molecular_hamiltonian()) == ref.hamiltonian()


def test_from_pyscf_without_pyscf_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyscf", None)
    with pytest.raises(ImportError, match="pip install pyscf"):
        quantum.chem.from_pyscf([("H", (0, 0, 0)), ("H", (0, 0, 0.74))])
