"""Selected bonded lists: a copy of a bonded term restricted to some of its entries.

Selective enhanced sampling (SITS) counts the bonded entries of the solute a
second time into the selected energy ``E_s`` (SPONGE's ``sits_dihedral_in_file``
lists repeat entries of the normal lists). :func:`subset_term` builds such a
list from any bonded term of :mod:`sponge.forces` by keeping the rows whose
atoms are all selected, so the same fused kernel evaluates it.
"""

from __future__ import annotations

import copy

import numpy as np

from .bonded import HarmonicAngleTerm, HarmonicBondTerm
from .cmap import CMAPTerm
from .torsion import HarmonicImproperTerm, PeriodicTorsionTerm, RBTorsionTerm

#: per-entry parameter arrays of each bonded class (sliced together with ``indices``)
ENTRY_ARRAYS: dict[type, tuple[str, ...]] = {
    HarmonicBondTerm: ("indices", "k", "r0"),
    HarmonicAngleTerm: ("indices", "k", "theta0"),
    PeriodicTorsionTerm: ("indices", "periodicity", "k", "phase"),
    RBTorsionTerm: ("indices", "coefficients"),
    HarmonicImproperTerm: ("indices", "k", "phi0"),
    CMAPTerm: ("indices", "map_index"),
}

#: the classes SITS enhances by default (dihedral-like terms, as SPONGE)
DIHEDRAL_CLASSES = (PeriodicTorsionTerm, RBTorsionTerm, HarmonicImproperTerm, CMAPTerm)


def subset_term(term, rows: np.ndarray, name: str | None = None):
    """A copy of ``term`` holding only the entries ``rows`` (bool mask or indices).

    Args:
        term: an instance of one of the classes in :data:`ENTRY_ARRAYS`.
        rows: which entries to keep.
        name: the copy's name (default ``term.name + "_selected"``).

    Raises:
        TypeError: ``term`` is not a supported bonded class.
    """
    fields = ENTRY_ARRAYS.get(type(term))
    if fields is None:
        raise TypeError(f"subset_term: {type(term).__name__} ({term.name!r}) is not a bonded "
                        f"term with per-entry lists; supported: "
                        f"{[c.__name__ for c in ENTRY_ARRAYS]}")
    out = copy.copy(term)
    for f in fields:
        setattr(out, f, np.ascontiguousarray(getattr(term, f)[rows]))
    out.name = name if name is not None else f"{term.name}_selected"
    return out


def selected_rows(term, mask: np.ndarray) -> np.ndarray:
    """Bool ``(n_entries,)``: the entries of ``term`` whose atoms are all in ``mask``."""
    idx = np.asarray(term.indices, dtype=np.int64)
    if idx.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(mask, dtype=bool)[idx].all(axis=1)
