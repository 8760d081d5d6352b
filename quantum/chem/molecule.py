"""Molecules: shipped integrals, the molecular Hamiltonian, and PySCF import.

``load_molecule("H2", 0.7414)`` reads ``quantum/chem/data/H2_0.7414.npz``
(STO-3G, RHF canonical orbitals, written by :mod:`quantum.chem.generate_data`).
``mol.hamiltonian()`` is the Jordan-Wigner qubit Hamiltonian (Hartree) over
interleaved spin orbitals (qubit ``2p`` = alpha, ``2p + 1`` = beta of spatial
orbital ``p``), so the Hartree-Fock state occupies qubits ``0 .. n_electrons-1``.

An active space (``n_core`` frozen doubly occupied orbitals, ``n_active``
orbitals kept) folds the core into the constant and the one-body integrals:

    E_core = E_nuc + sum_c (2 h_cc + sum_d [2 (cc|dd) - (cd|dc)])
    h'_pq  = h_pq + sum_c [2 (pq|cc) - (pc|cq)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..operators import QubitOperator
from .interaction_operator import InteractionOperator, spinorb_from_spatial
from .transforms import bravyi_kitaev, jordan_wigner, parity

__all__ = ["MolecularData", "load_molecule", "from_pyscf", "available_molecules",
           "get_qubit_hamiltonian"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass
class MolecularData:
    """Integrals and reference energies of one molecule (all energies in Hartree).

    Attributes:
        name, basis: labels; ``symbols (n_atoms,)``, ``coords (n_atoms, 3)`` Angstrom.
        n_electrons: electrons in the (active) orbitals; ``n_orbitals`` spatial orbitals.
        nuclear_repulsion: constant of the Hamiltonian (core energy included when frozen).
        one_body ``(n_orb, n_orb)``, eri ``(n_orb,)*4`` ``(pq|rs)``: MO integrals.
        hf_energy, mp2_energy, ccsd_energy, fci_energy: PySCF's full-space energies.
        mp2_t2, ccsd_t1, ccsd_t2: closed-shell spatial amplitudes (PySCF layout) or None.
    """

    name: str
    basis: str
    symbols: np.ndarray
    coords: np.ndarray
    n_electrons: int
    nuclear_repulsion: float
    one_body: np.ndarray
    eri: np.ndarray
    hf_energy: float = float("nan")
    mp2_energy: float = float("nan")
    ccsd_energy: float = float("nan")
    fci_energy: float = float("nan")
    mo_energies: np.ndarray | None = None
    mp2_t2: np.ndarray | None = None
    ccsd_t1: np.ndarray | None = None
    ccsd_t2: np.ndarray | None = None
    bond_length: float | None = None
    n_core: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_orbitals(self) -> int:
        """Number of (active) spatial orbitals."""
        return self.one_body.shape[0]

    @property
    def n_qubits(self) -> int:
        """Number of spin orbitals = qubits."""
        return 2 * self.n_orbitals

    def get_molecular_hamiltonian(self) -> InteractionOperator:
        """The spin-orbital :class:`InteractionOperator` (constant = nuclear repulsion)."""
        h1, h2 = spinorb_from_spatial(self.one_body, self.eri)
        return InteractionOperator(self.nuclear_repulsion, h1, h2)

    def hamiltonian(self, transform: str = "jordan_wigner") -> QubitOperator:
        """Qubit Hamiltonian (Hartree) by ``"jordan_wigner"``, ``"parity"`` or
        ``"bravyi_kitaev"``."""
        fns = {"jordan_wigner": jordan_wigner, "parity": parity, "bravyi_kitaev": bravyi_kitaev}
        if transform not in fns:
            raise ValueError(f"Unknown transform {transform!r}; use one of {sorted(fns)}")
        return fns[transform](self.get_molecular_hamiltonian(), self.n_qubits)

    def active_space(self, n_core: int, n_active: int) -> MolecularData:
        """A copy with ``n_core`` lowest orbitals frozen (doubly occupied) and the next
        ``n_active`` orbitals kept; the FCI/CCSD/MP2 energies stay the full-space ones.

        Raises:
            ValueError: the window does not fit the orbitals or electrons.
        """
        n = self.n_orbitals
        if n_core < 0 or n_active < 1 or n_core + n_active > n:
            raise ValueError(f"active_space(n_core={n_core}, n_active={n_active}) does not fit "
                             f"{n} orbitals of {self.name}")
        if 2 * n_core > self.n_electrons:
            raise ValueError(f"{n_core} core orbitals need {2 * n_core} electrons; "
                             f"{self.name} has {self.n_electrons}")
        h, g = self.one_body, self.eri
        core = slice(0, n_core)
        act = slice(n_core, n_core + n_active)
        e_core = self.nuclear_repulsion + 2 * np.trace(h[core, core])
        e_core += 2 * np.einsum("ccdd->", g[core, core, core, core])
        e_core -= np.einsum("cddc->", g[core, core, core, core])
        h_act = h[act, act] + 2 * np.einsum("pqcc->pq", g[act, act, core, core])
        h_act -= np.einsum("pccq->pq", g[act, core, core, act])
        return MolecularData(
            name=self.name, basis=self.basis, symbols=self.symbols, coords=self.coords,
            n_electrons=self.n_electrons - 2 * n_core, nuclear_repulsion=float(e_core),
            one_body=h_act, eri=g[act, act, act, act].copy(), hf_energy=self.hf_energy,
            mp2_energy=self.mp2_energy, ccsd_energy=self.ccsd_energy,
            fci_energy=self.fci_energy,
            mo_energies=None if self.mo_energies is None else self.mo_energies[act],
            bond_length=self.bond_length, n_core=self.n_core + n_core)

    def __repr__(self) -> str:
        return (f"MolecularData({self.name}, R={self.bond_length}, {self.basis}, "
                f"{self.n_electrons} e, {self.n_qubits} qubits)")


def available_molecules() -> dict[str, list[float]]:
    """``{name: sorted bond lengths}`` of the shipped files."""
    out: dict[str, list[float]] = {}
    for p in sorted(DATA_DIR.glob("*.npz")):
        name, _, r = p.stem.partition("_")
        out.setdefault(name, []).append(float(r))
    return {k: sorted(v) for k, v in out.items()}


def _from_npz(path: Path) -> MolecularData:
    d = np.load(path, allow_pickle=False)
    amps = {k: (d[k] if k in d.files else None) for k in ("mp2_t2", "ccsd_t1", "ccsd_t2")}
    return MolecularData(
        name=str(d["name"]), basis=str(d["basis"]), symbols=d["symbols"], coords=d["coords"],
        n_electrons=int(d["n_electrons"]), nuclear_repulsion=float(d["nuclear_repulsion"]),
        one_body=d["one_body"], eri=d["eri"], hf_energy=float(d["hf_energy"]),
        mp2_energy=float(d["mp2_energy"]), ccsd_energy=float(d["ccsd_energy"]),
        fci_energy=float(d["fci_energy"]), mo_energies=d["mo_energies"],
        bond_length=float(d["bond_length"]), **amps)


def load_molecule(name: str, bond_length: float) -> MolecularData:
    """Shipped STO-3G molecule (``"H2"``, ``"LiH"``, ``"H4"``) at a bond length in Angstrom.

    Raises:
        ValueError: unknown molecule or a bond length that is not shipped (the message
            lists the available ones; use :func:`from_pyscf` for others).
    """
    avail = available_molecules()
    if name not in avail:
        raise ValueError(f"No shipped data for molecule {name!r}; available: {sorted(avail)}")
    for r in avail[name]:
        if abs(r - float(bond_length)) < 1e-6:
            from .generate_data import file_name

            return _from_npz(DATA_DIR / file_name(name, r))
    raise ValueError(f"No shipped data for {name} at {bond_length} Angstrom; available: "
                     f"{avail[name]} (use quantum.chem.from_pyscf for other geometries)")


def from_pyscf(atoms: Any, basis: str = "sto-3g", charge: int = 0, multiplicity: int = 1,
               name: str = "molecule") -> MolecularData:
    """Run PySCF (RHF, MP2, CCSD, FCI) on a closed-shell molecule.

    Args:
        atoms: ``[(symbol, (x, y, z)), ...]`` in Angstrom, or a ``pyscf.gto.Mole``.
        basis, charge, multiplicity: as in PySCF (closed shells only).

    Raises:
        ImportError: PySCF is not installed (``pip install pyscf``).
    """
    try:
        import pyscf  # noqa: F401
    except ImportError as err:
        raise ImportError("quantum.chem.from_pyscf needs PySCF: pip install pyscf "
                          "(or use the shipped molecules with load_molecule)") from err
    from .generate_data import run_pyscf

    if hasattr(atoms, "atom_coords"):  # a pyscf Mole
        mol = atoms
        coords = mol.atom_coords(unit="Angstrom")
        atoms = [(mol.atom_symbol(i), tuple(coords[i])) for i in range(mol.natm)]
        basis, charge, multiplicity = mol.basis, mol.charge, mol.spin + 1
    d = run_pyscf(atoms, basis=basis, charge=charge, multiplicity=multiplicity)
    return MolecularData(name=name, basis=str(basis), symbols=d["symbols"],
                         coords=d["coords"], n_electrons=int(d["n_electrons"]),
                         nuclear_repulsion=float(d["nuclear_repulsion"]),
                         one_body=d["one_body"], eri=d["eri"], hf_energy=d["hf_energy"],
                         mp2_energy=d["mp2_energy"], ccsd_energy=d["ccsd_energy"],
                         fci_energy=d["fci_energy"], mo_energies=d["mo_energies"],
                         mp2_t2=d["mp2_t2"], ccsd_t1=d["ccsd_t1"], ccsd_t2=d["ccsd_t2"])


def get_qubit_hamiltonian(mol: MolecularData) -> QubitOperator:
    """Jordan-Wigner Hamiltonian of a molecule (MindQuantum's name)."""
    return mol.hamiltonian()
