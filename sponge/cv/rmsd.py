"""RMSD after optimal superposition (Kabsch), with its exact gradient.

For the selected atoms ``x_i`` and reference ``y_i`` (i = 1..N, uniform
weights), both centred on their centroids,

    RMSD(x) = min_R sqrt( (1/N) sum_i |R (x_i - xbar) - (y_i - ybar)|^2 ),

with ``R`` the proper rotation from the Kabsch SVD (a reflection is never
allowed: the sign of ``det`` is corrected). Because ``R`` and the
translation are optimal, their own dependence on ``x`` drops out of the
derivative (envelope theorem), leaving

    dRMSD/dx_i = ((x_i - xbar) - R^T (y_i - ybar)) / (N RMSD).

With ``align=False`` no rotation or translation is made (plain RMSD).
With a box the selection is first made whole: each atom is placed at the
minimum image of its displacement from the first selected atom (fine as
long as the selection spans less than half the box).

Reference: W. Kabsch, Acta Cryst. A32, 922 (1976); the same quantity as
``mdtraj.rmsd`` and OpenMM's ``RMSDForce``.
"""

from __future__ import annotations

import numpy as np

from sponge.cv.base import CollectiveVariable, check_atoms, reduced_box


def kabsch_rotation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Proper rotation ``R`` (3, 3) minimising ``sum |R x_i - y_i|^2`` (centred inputs)."""
    h = x.T @ y
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    if d == 0:
        d = 1.0
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def _make_whole(x: np.ndarray, box: np.ndarray) -> np.ndarray:
    inv = np.linalg.inv(box)
    d = x - x[0]
    frac = d @ inv
    frac -= np.floor(frac + 0.5)
    return x[0] + frac @ box


class RMSD(CollectiveVariable):
    """RMSD to a reference structure, nm, after optimal alignment.

    Args:
        reference: ``(n_atoms, 3)`` nm (all atoms of the system) or
            ``(len(atoms), 3)`` (the selection only).
        atoms: indices of the atoms compared (default: all reference atoms).
        align: superpose (translate + rotate) before comparing.
        name: label.

    Example:
        >>> cv = RMSD(native_positions, atoms=backbone)             # doctest: +SKIP
        >>> s, grad = cv.value_and_gradient(state.positions, state.box)
    """

    def __init__(self, reference, atoms=None, align: bool = True, name: str = "rmsd") -> None:
        ref = np.asarray(reference, dtype=np.float64)
        if ref.ndim != 2 or ref.shape[1] != 3:
            raise ValueError(f"RMSD: reference must be (n, 3) nm; got shape {ref.shape}")
        self.atoms = check_atoms(np.arange(len(ref)) if atoms is None else atoms, None, "RMSD")
        if len(set(self.atoms.tolist())) != len(self.atoms):
            raise ValueError(f"RMSD: atom indices must be distinct; got {self.atoms.tolist()}")
        if len(ref) == len(self.atoms):
            sel = ref
        elif len(ref) > int(self.atoms.max()):
            sel = ref[self.atoms]
        else:
            raise ValueError(f"RMSD: reference has {len(ref)} atoms; atoms selects "
                             f"{len(self.atoms)} with largest index {int(self.atoms.max())}")
        if len(self.atoms) < 2:
            raise ValueError("RMSD: needs at least 2 atoms")
        self.align = bool(align)
        self.reference = sel.copy()
        self._ref_c = sel - sel.mean(axis=0) if align else sel.copy()
        self.name = name

    def local(self, positions, box=None):
        x = np.asarray(positions, dtype=np.float64)[self.atoms]
        b = reduced_box(box, f"CV {self.name!r}")
        if b is not None:
            x = _make_whole(x, b)
        n = len(x)
        if self.align:
            xc = x - x.mean(axis=0)
            rot = kabsch_rotation(xc, self._ref_c)
            diff = xc - self._ref_c @ rot          # rows: x_i - R^T y_i
        else:
            diff = x - self._ref_c
        msd = float(np.einsum("ij,ij->", diff, diff)) / n
        r = np.sqrt(msd)
        g = diff / (n * r) if r > 0 else np.zeros_like(diff)
        return float(r), g
