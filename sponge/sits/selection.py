"""The selected energy E_s of SITS and which atoms make up the solute.

``E_s = U_PP + lambda * U_PW`` (Yang & Gao, J. Chem. Phys. 131, 214109 (2009)):
the direct-space nonbonded pairs weighted 1 / lambda / 0 by how many of their
atoms are selected (:class:`sponge.nonbonded.selected.SelectedNonbonded`),
plus the bonded entries whose atoms are all selected, counted a second time
into ``E_s`` only (:func:`sponge.forces.subset.subset_term`). By default the
dihedral-like lists (torsions, impropers, CMAP) are selected, as SPONGE does;
``bonds_angles=True`` adds bonds and angles (as the Amber patch does).
"""

from __future__ import annotations

import numpy as np

from sponge.forces.bonded import HarmonicAngleTerm, HarmonicBondTerm
from sponge.forces.subset import DIHEDRAL_CLASSES, ENTRY_ARRAYS, selected_rows, subset_term
from sponge.nonbonded.selected import SelectedNonbonded

#: residue names treated as solvent when ``selection`` is None
SOLVENT_RESIDUES = frozenset({
    "WAT", "HOH", "SOL", "TIP3", "TIP3P", "TIP4", "TIP4P", "T3P", "T4P", "SPC", "SPCE", "H2O",
    "NA", "NA+", "Na+", "CL", "CL-", "Cl-", "K", "K+", "MG", "CA", "ZN", "CLA", "SOD", "POT",
})


def selection_mask(selection, system) -> np.ndarray:
    """``(n_atoms,)`` bool mask of the selected atoms.

    Args:
        selection: None (every atom whose residue is not water or an ion, from
            ``system.topology``); a bool mask ``(n_atoms,)``; atom indices; a
            residue name or a list of residue names.
        system: the :class:`sponge.System`.

    Raises:
        ValueError: an index out of range, a mask of the wrong length, a
            residue name that is not in the topology, or an empty selection.
    """
    n = system.n_atoms
    topo = getattr(system, "topology", None)
    if selection is None or isinstance(selection, str) or (
            isinstance(selection, list | tuple) and selection
            and all(isinstance(s, str) for s in selection)):
        if topo is None:
            raise ValueError("SITS: selection by residue name (or the default, non-solvent "
                             "residues) needs system.topology; pass atom indices or a mask")
        resnames = np.asarray(topo.residue_names)[np.asarray(topo.residue_index)]
        if selection is None:
            mask = ~np.isin(resnames, list(SOLVENT_RESIDUES))
        else:
            names = [selection] if isinstance(selection, str) else list(selection)
            missing = [r for r in names if r not in set(topo.residue_names)]
            if missing:
                raise ValueError(f"SITS: residue names {missing} are not in the topology "
                                 f"(residues: {sorted(set(topo.residue_names))[:20]})")
            mask = np.isin(resnames, names)
    else:
        arr = np.asarray(selection)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise ValueError(f"SITS: selection mask has shape {arr.shape}; the system has "
                                 f"{n} atoms")
            mask = arr.copy()
        else:
            idx = arr.astype(np.int64).reshape(-1)
            bad = idx[(idx < 0) | (idx >= n)]
            if bad.size:
                raise ValueError(f"SITS: selected atom {int(bad[0])} is out of range 0..{n - 1}")
            mask = np.zeros(n, dtype=bool)
            mask[idx] = True
    if not mask.any():
        raise ValueError("SITS: the selection is empty")
    return mask


class SelectedEnergy:
    """Evaluates ``(E_s, F_s)`` for a system and a selected atom mask.

    Args:
        system: the :class:`sponge.System`.
        mask: ``(n_atoms,)`` bool.
        cross_factor: lambda.
        bonds_angles: also select the bonds and angles inside the solute.
        complete_coulomb: with Ewald/PME, the solute-solute pairs enter with
            their full Coulomb energy, not only its real-space part (see
            :class:`sponge.nonbonded.selected.SelectedNonbonded`).

    Raises:
        TypeError: the system has a term whose split into E_s is unknown and
            that touches selected atoms (use ``energy="total"``, plain ITS).
    """

    def __init__(self, system, mask: np.ndarray, cross_factor: float = 0.5,
                 bonds_angles: bool = False, complete_coulomb: bool = True) -> None:
        self.system = system
        self.mask = mask
        self.parts: list = []
        classes = DIHEDRAL_CLASSES + ((HarmonicBondTerm, HarmonicAngleTerm) if bonds_angles
                                      else ())
        for term in system.terms:
            if type(term) in ENTRY_ARRAYS:
                if isinstance(term, classes):
                    rows = selected_rows(term, mask)
                    if rows.any():
                        self.parts.append(subset_term(term, rows))
            elif hasattr(term, "exception_pairs") and hasattr(term, "sigmas"):
                self.parts.append(SelectedNonbonded(term, mask, cross_factor,
                                                    complete_coulomb=complete_coulomb))
            else:
                raise TypeError(
                    f"SITS: don't know how to split force term {term.name!r} "
                    f"({type(term).__name__}) into the selected energy E_s; use "
                    f"SITS(energy='total') (plain ITS) for such a system")
        self._has_sites = len(system.virtual_sites) > 0

    def energy_forces(self, positions: np.ndarray,
                      box: np.ndarray | None) -> tuple[float, np.ndarray]:
        """``(E_s kJ/mol, F_s (n_atoms, 3) kJ/mol/nm)``; virtual-site forces moved to parents."""
        e = 0.0
        f = np.zeros((self.system.n_atoms, 3))
        for p in self.parts:
            ep, fp = p.energy_forces(positions, box)
            e += ep
            f += fp
        if self._has_sites:
            self.system.virtual_sites.distribute_forces(positions, f)
        return e, f
