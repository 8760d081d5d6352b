"""Generate the shipped molecule files ``quantum/chem/data/*.npz`` with PySCF (run once).

    python -m quantum.chem.generate_data            # all molecules
    python -m quantum.chem.generate_data H2 0.7414  # one geometry

Each file holds, for one geometry in the STO-3G basis (restricted Hartree-Fock
canonical orbitals, all electrons, all orbitals active):

- ``basis``, ``symbols`` ``(n_atoms,)``, ``coords`` ``(n_atoms, 3)`` in Angstrom,
  ``charge``, ``multiplicity``, ``n_electrons``;
- ``nuclear_repulsion`` (Hartree), ``mo_energies`` ``(n_orb,)``,
  ``one_body`` ``(n_orb, n_orb)`` (core Hamiltonian in the MO basis),
  ``eri`` ``(n_orb,)*4`` (MO two-electron integrals ``(pq|rs)``, chemists' notation);
- ``hf_energy``, ``mp2_energy``, ``ccsd_energy``, ``fci_energy`` (Hartree);
- ``mp2_t2`` ``(n_occ, n_occ, n_vir, n_vir)``, ``ccsd_t1`` ``(n_occ, n_vir)``,
  ``ccsd_t2`` (PySCF's closed-shell spatial amplitudes).

Geometries: diatomics along z (first atom at the origin; LiH is Li then H);
H4 is a linear chain with equal spacing ``bond_length``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"

BOND_LENGTHS: dict[str, list[float]] = {
    "H2": [round(0.5 + 0.1 * i, 4) for i in range(21)] + [0.7414],
    "LiH": [1.0, 1.2, 1.4, 1.45, 1.5, 1.6, 1.8, 2.0, 2.4, 2.8, 3.2],
    "H4": [0.75, 1.0, 1.5, 2.0],
}


def geometry(name: str, bond_length: float) -> list[tuple[str, tuple[float, float, float]]]:
    """Atoms and positions (Angstrom) of the shipped geometries."""
    r = float(bond_length)
    if name == "H2":
        return [("H", (0.0, 0.0, 0.0)), ("H", (0.0, 0.0, r))]
    if name == "LiH":
        return [("Li", (0.0, 0.0, 0.0)), ("H", (0.0, 0.0, r))]
    if name == "H4":
        return [("H", (0.0, 0.0, i * r)) for i in range(4)]
    raise ValueError(f"No geometry recipe for molecule {name!r}; known: {sorted(BOND_LENGTHS)}")


def file_name(name: str, bond_length: float) -> str:
    """``H2_0.7414.npz``-style name."""
    return f"{name}_{float(bond_length):.4f}".rstrip("0").rstrip(".") + ".npz"


def run_pyscf(atoms, basis: str = "sto-3g", charge: int = 0, multiplicity: int = 1) -> dict:
    """Integrals and reference energies of one closed-shell molecule (needs PySCF)."""
    from pyscf import ao2mo, cc, fci, gto, mp, scf

    mol = gto.M(atom=[(s, xyz) for s, xyz in atoms], basis=basis, charge=charge,
                spin=multiplicity - 1, unit="Angstrom", verbose=0)
    if mol.spin != 0:
        raise ValueError("generate_data handles closed-shell molecules only")
    mf = scf.RHF(mol)
    mf.conv_tol = 1e-12
    mf.kernel()
    if not mf.converged:
        raise RuntimeError(f"RHF did not converge for {atoms}")
    c = mf.mo_coeff
    one_body = c.T @ mf.get_hcore() @ c
    n = c.shape[1]
    eri = ao2mo.restore(1, ao2mo.kernel(mol, c), n)
    e_mp2, t2_mp2 = mp.MP2(mf).kernel()
    mycc = cc.CCSD(mf)
    mycc.conv_tol = 1e-10
    mycc.max_cycle = 500
    mycc.kernel()
    e_fci = fci.FCI(mf).kernel()[0]
    return {
        "basis": basis,
        "symbols": np.array([s for s, _ in atoms]),
        "coords": np.array([xyz for _, xyz in atoms], dtype=float),
        "charge": charge,
        "multiplicity": multiplicity,
        "n_electrons": mol.nelectron,
        "nuclear_repulsion": mol.energy_nuc(),
        "mo_energies": mf.mo_energy,
        "one_body": one_body,
        "eri": eri,
        "hf_energy": mf.e_tot,
        "mp2_energy": mf.e_tot + e_mp2,
        "ccsd_energy": mycc.e_tot,
        "fci_energy": e_fci,
        "mp2_t2": t2_mp2,
        "ccsd_t1": mycc.t1,
        "ccsd_t2": mycc.t2,
    }


def generate(name: str, bond_length: float, out_dir: Path = DATA_DIR) -> Path:
    """Compute and write one molecule file; returns its path."""
    data = run_pyscf(geometry(name, bond_length))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / file_name(name, bond_length)
    np.savez_compressed(path, name=name, bond_length=float(bond_length), **data)
    return path


def main(argv: list[str]) -> None:
    if argv:
        jobs = [(argv[0], float(argv[1]))]
    else:
        jobs = [(m, r) for m, rs in BOND_LENGTHS.items() for r in rs]
    for m, r in jobs:
        p = generate(m, r)
        d = np.load(p)
        print(f"{p.name}: HF {float(d['hf_energy']):.10f} FCI {float(d['fci_energy']):.10f}")


if __name__ == "__main__":
    main(sys.argv[1:])
