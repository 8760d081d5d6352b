"""Topology: the names of things (atoms, residues, chains, elements).

Pure bookkeeping used for output and selections; no physics lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Topology:
    """Atom and residue names of a system.

    Attributes:
        atom_names: one name per particle (virtual sites included).
        elements: element symbol per particle ("" for virtual sites / unknown).
        residue_index: ``(n_atoms,)`` int, the residue each atom belongs to.
        residue_names: one name per residue.
        chain_index: ``(n_residues,)`` int, chain of each residue.
        bonds: ``(n_bonds, 2)`` int, chemical bonds (for output only).
    """

    atom_names: list[str]
    elements: list[str]
    residue_index: np.ndarray
    residue_names: list[str]
    chain_index: np.ndarray | None = None
    bonds: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))

    @property
    def n_atoms(self) -> int:
        """Number of particles."""
        return len(self.atom_names)

    @property
    def n_residues(self) -> int:
        """Number of residues."""
        return len(self.residue_names)

    @classmethod
    def from_openmm(cls, topology) -> Topology:
        """Translate an ``openmm.app.Topology``."""
        atom_names, elements, res_index = [], [], []
        res_names, chain_index, bonds = [], [], []
        chains = {id(c): k for k, c in enumerate(topology.chains())}
        for k, res in enumerate(topology.residues()):
            res_names.append(res.name)
            chain_index.append(chains[id(res.chain)])
            for atom in res.atoms():
                atom_names.append(atom.name)
                elements.append(atom.element.symbol if atom.element is not None else "")
                res_index.append(k)
        for bond in topology.bonds():
            bonds.append((bond[0].index, bond[1].index))
        return cls(
            atom_names=atom_names,
            elements=elements,
            residue_index=np.asarray(res_index, dtype=np.int64),
            residue_names=res_names,
            chain_index=np.asarray(chain_index, dtype=np.int64),
            bonds=np.asarray(bonds, dtype=np.int64).reshape(-1, 2),
        )
