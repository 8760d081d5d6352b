"""CMAP: tabulated 2-D correction on a pair of dihedrals, bicubic-spline interpolated.

Exactly OpenMM's ``CMAPTorsionForce``: a map of ``size x size`` energies
``E[i + size*j]`` (kJ/mol) at ``phi = i*2pi/size``, ``psi = j*2pi/size`` (both
angles taken in [0, 2pi)). At each grid node the derivatives dE/dphi,
dE/dpsi and d2E/dphi dpsi come from periodic cubic splines through the grid
(dE/dpsi first, then its spline along phi for the cross term); on each
patch a bicubic polynomial matching E and the three derivatives at the four
corners is evaluated (Press et al., Numerical Recipes, ``bcucof``).

    E(phi, psi) = sum_{a,b=0..3} c_ab u^a v^b,   u, v the fractional patch coordinates
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy.interpolate import CubicSpline

from sponge.forces.base import ForceTermBase
from sponge.forces.bonded import _as_index
from sponge.forces.geometry import add_torsion_forces, dihedral_vectors


# Bicubic weight matrix (rows: coefficient index a*4+b; columns: the 16 corner values)
def _bicubic_weights() -> np.ndarray:
    """Matrix W with ``coeff = rhs @ W`` for one bicubic patch.

    ``rhs`` holds, at the corners (0,0), (1,0), (1,1), (0,1) of the unit patch,
    the values f, then f_u, f_v and f_uv (16 numbers); ``coeff[a*4 + b]``
    multiplies ``u^a v^b``. W is the inverse of the map coefficients -> corner
    data, built here rather than tabulated.
    """
    corners = ((0, 0), (1, 0), (1, 1), (0, 1))
    a_mat = np.zeros((16, 16))
    for k, (u, v) in enumerate(corners):
        for a in range(4):
            for b in range(4):
                col = a * 4 + b
                a_mat[k, col] = u**a * v**b
                if a:
                    a_mat[4 + k, col] = a * u ** (a - 1) * v**b
                if b:
                    a_mat[8 + k, col] = b * u**a * v ** (b - 1)
                if a and b:
                    a_mat[12 + k, col] = a * b * u ** (a - 1) * v ** (b - 1)
    return np.linalg.inv(a_mat).T


_WT = _bicubic_weights()  # _WT[m, k]: weight of rhs[m] in coefficient k


def _periodic_derivative(values: np.ndarray, axis: int) -> np.ndarray:
    """dE/dx at the nodes of periodic cubic splines along ``axis`` (grid spacing 2pi/n)."""
    n = values.shape[axis]
    x = np.arange(n + 1) * (2 * np.pi / n)
    y = np.concatenate([values, np.take(values, [0], axis=axis)], axis=axis)
    spline = CubicSpline(x, y, axis=axis, bc_type="periodic")
    return np.take(spline(x, 1), np.arange(n), axis=axis)


def cmap_coefficients(energy: np.ndarray) -> np.ndarray:
    """Bicubic patch coefficients of one map.

    Args:
        energy: ``(size, size)`` array ``E[j, i]`` = energy at phi_i, psi_j,
            i.e. OpenMM's flat map reshaped C-order (kJ/mol).

    Returns:
        ``(size*size, 16)`` coefficients; patch ``s + size*t`` (phi patch s, psi
        patch t), coefficient ``a*4 + b`` multiplies ``u^a v^b``.
    """
    e = np.asarray(energy, dtype=np.float64)
    size = e.shape[0]
    if e.shape != (size, size):
        raise ValueError(f"CMAP map must be square; got shape {e.shape}")
    d1 = _periodic_derivative(e, axis=1)  # along phi (index i, fast)
    d2 = _periodic_derivative(e, axis=0)  # along psi
    d12 = _periodic_derivative(d2, axis=1)
    delta = 2 * np.pi / size
    i = np.arange(size)
    ii, jj = np.meshgrid(i, i, indexing="xy")  # ii: phi index, jj: psi index; shape (psi, phi)
    ni, nj = (ii + 1) % size, (jj + 1) % size
    corners = [(jj, ii), (jj, ni), (nj, ni), (nj, ii)]
    rhs = np.empty((size, size, 16))
    for c, (a, b) in enumerate(corners):
        rhs[..., c] = e[a, b]
        rhs[..., c + 4] = d1[a, b] * delta
        rhs[..., c + 8] = d2[a, b] * delta
        rhs[..., c + 12] = d12[a, b] * delta * delta
    coeff = rhs @ _WT  # (psi, phi, 16): patch (t, s)
    return np.ascontiguousarray(coeff.reshape(size * size, 16))


@njit(cache=True, fastmath=True, error_model="numpy")
def _cmap_kernel(pos, idx, map_index, map_offset, map_size, coeff, box, periodic, forces):
    energy = 0.0
    two_pi = 2.0 * math.pi
    for t in range(idx.shape[0]):
        m = map_index[t]
        size = map_size[m]
        delta = two_pi / size
        a1, a2, a3, a4 = idx[t, 0], idx[t, 1], idx[t, 2], idx[t, 3]
        b1, b2, b3, b4 = idx[t, 4], idx[t, 5], idx[t, 6], idx[t, 7]
        pa, ad0, ad1, ad2, ac0, ac1 = dihedral_vectors(pos, a1, a2, a3, a4, box, periodic)
        pb, bd0, bd1, bd2, bc0, bc1 = dihedral_vectors(pos, b1, b2, b3, b4, box, periodic)
        if pa < 0.0:
            pa += two_pi
        if pb < 0.0:
            pb += two_pi
        s = min(int(pa / delta), size - 1)
        u = min(int(pb / delta), size - 1)
        c = coeff[map_offset[m] + s + size * u]
        da = pa / delta - s
        db = pb / delta - u
        e = 0.0
        dea = 0.0
        deb = 0.0
        for i in range(3, -1, -1):
            e = da * e + ((c[i * 4 + 3] * db + c[i * 4 + 2]) * db + c[i * 4 + 1]) * db + c[i * 4]
            dea = db * dea + (3.0 * c[i + 12] * da + 2.0 * c[i + 8]) * da + c[i + 4]
            deb = da * deb + (3.0 * c[i * 4 + 3] * db + 2.0 * c[i * 4 + 2]) * db + c[i * 4 + 1]
        energy += e
        add_torsion_forces(forces, a1, a2, a3, a4, dea / delta, ad0, ad1, ad2, ac0, ac1)
        add_torsion_forces(forces, b1, b2, b3, b4, deb / delta, bd0, bd1, bd2, bc0, bc1)
    return energy


class CMAPTerm(ForceTermBase):
    """CMAP correction on dihedral pairs (phi, psi), OpenMM's interpolation.

    Args:
        n_atoms: number of particles.
        maps: list of flat maps (length size*size each, OpenMM order
            ``E[i + size*j]`` at phi_i, psi_j), kJ/mol.
        map_index: ``(n_torsions,)`` which map each pair uses.
        indices: ``(n_torsions, 8)`` atoms of phi (first four) and psi.
    """

    name = "cmap"

    def __init__(
        self,
        n_atoms: int,
        maps: list[ArrayLike],
        map_index: ArrayLike,
        indices: ArrayLike,
        name: str = "cmap",
        dtype: type = np.float64,
    ) -> None:
        super().__init__(n_atoms, dtype)
        self.name = name
        self.indices = _as_index(indices, 8, name, n_atoms)
        self.map_index = np.ascontiguousarray(map_index, dtype=np.int64).reshape(-1)
        sizes, offsets, coeffs, off = [], [], [], 0
        for k, flat in enumerate(maps):
            flat = np.asarray(flat, dtype=np.float64).reshape(-1)
            size = int(round(math.sqrt(flat.size)))
            if size * size != flat.size or size < 2:
                raise ValueError(f"{name}: map {k} has {flat.size} values, not size*size")
            coeffs.append(cmap_coefficients(flat.reshape(size, size)))
            sizes.append(size)
            offsets.append(off)
            off += size * size
        if len(self.map_index) != len(self.indices):
            raise ValueError(f"{name}: map_index and indices must have the same length")
        if len(self.map_index) and (self.map_index.min() < 0 or self.map_index.max() >= len(maps)):
            raise ValueError(f"{name}: map index out of range 0..{len(maps) - 1}")
        self.maps = [np.asarray(m, dtype=np.float64).reshape(-1) for m in maps]
        self.map_size = np.asarray(sizes, dtype=np.int64)
        self.map_offset = np.asarray(offsets, dtype=np.int64)
        self.coefficients = (np.concatenate(coeffs) if coeffs else np.zeros((0, 16))).astype(
            self.dtype
        )

    def _energy_forces(self, pos, box):
        forces = np.zeros((self.n_atoms, 3), dtype=self.dtype)
        if len(self.indices) == 0:
            return 0.0, forces
        box, periodic = self._box_args(box)
        e = _cmap_kernel(
            pos,
            self.indices,
            self.map_index,
            self.map_offset,
            self.map_size,
            self.coefficients,
            box,
            periodic,
            forces,
        )
        return e, forces
