"""A short-range wall for neural potentials: keep MD out of distances never seen in training.

A neural potential knows nothing about pair distances shorter than any in its
training data; there it can be flat or even attractive, and an MD trajectory
that wanders in collapses (two atoms merge, the energy falls into a spurious
hole, the run blows up). :class:`ShortRangeWall` adds, per species pair,

    E = sum_{i<j} k (r_min[s_i, s_j] - r_ij)^2    for r_ij < r_min[s_i, s_j], else 0,

with ``r_min`` a fraction of the shortest distance of that species pair in
the training set (:meth:`ShortRangeWall.from_dataset`). It is zero on every
training configuration, so it does not change the fit; it only acts where
the model has no data (as the ZBL and prior terms of TorchMD-Net and
NequIP/Allegro do). Energies kJ/mol, distances nm, ``k`` kJ/mol/nm^2.
"""

from __future__ import annotations

import numpy as np

from sponge.neighbor_list import minimum_image

from .data import Dataset


class ShortRangeWall:
    """Harmonic wall below per-species-pair minimum distances; a sponge force term.

    Args:
        species: ``(n_atoms,)`` species indices of the atoms (the term covers all atoms
            of the system, in order).
        r_min: ``(S, S)`` symmetric wall positions, nm (0 disables a pair).
        k: wall stiffness, kJ/mol/nm^2.
        name: term name in ``energy_terms``.
    """

    def __init__(self, species: np.ndarray, r_min: np.ndarray, k: float = 1.0e5,
                 name: str = "ml_wall") -> None:
        self.species = np.asarray(species, dtype=np.int64).reshape(-1)
        self.r_min = np.asarray(r_min, dtype=np.float64)
        n_s = int(self.species.max()) + 1 if self.species.size else 0
        if self.r_min.ndim != 2 or self.r_min.shape[0] != self.r_min.shape[1] \
                or self.r_min.shape[0] < n_s:
            raise ValueError(f"ShortRangeWall: r_min must be (S, S) with S >= {n_s}; got "
                             f"shape {self.r_min.shape}")
        if k <= 0:
            raise ValueError(f"ShortRangeWall: k must be positive, got {k}")
        self.k = float(k)
        self.name = name
        self.n_atoms = len(self.species)
        a, b = np.triu_indices(self.n_atoms, 1)
        r0 = self.r_min[self.species[a], self.species[b]]
        keep = r0 > 0
        self._a, self._b, self._r0 = a[keep], b[keep], r0[keep]

    @classmethod
    def from_dataset(cls, data: Dataset, fraction: float = 0.9, k: float = 1.0e5,
                     name: str = "ml_wall") -> ShortRangeWall:
        """Walls at ``fraction`` times the shortest distance of each species pair in ``data``."""
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        sp = data.species
        n_s = int(sp.max()) + 1
        a, b = np.triu_indices(len(sp), 1)
        r_min = np.full((n_s, n_s), np.inf)
        for c in range(len(data)):
            d = data.positions[c, b] - data.positions[c, a]
            if data.box is not None:
                d = minimum_image(d, data.box[c])
            r = np.sqrt((d * d).sum(-1))
            np.minimum.at(r_min, (sp[a], sp[b]), r)
        r_min = np.minimum(r_min, r_min.T)
        r_min[~np.isfinite(r_min)] = 0.0
        return cls(sp, fraction * r_min, k=k, name=name)

    def energy_forces(self, positions: np.ndarray, box: np.ndarray | None = None
                      ) -> tuple[float, np.ndarray]:
        """Energy (kJ/mol) and forces ``(n_atoms, 3)`` kJ/mol/nm."""
        pos = np.asarray(positions, dtype=np.float64)
        if pos.shape != (self.n_atoms, 3):
            raise ValueError(f"{self.name}: positions must have shape ({self.n_atoms}, 3); got "
                             f"{pos.shape}")
        d = pos[self._b] - pos[self._a]
        if box is not None:
            d = minimum_image(d, box)
        r = np.sqrt((d * d).sum(-1))
        inside = r < self._r0
        forces = np.zeros_like(pos)
        if not inside.any():
            return 0.0, forces
        dr = self._r0[inside] - r[inside]
        # dE/dr = -2 k dr; force on b along +d/r is -dE/dr
        coef = (2.0 * self.k * dr / np.maximum(r[inside], 1e-12))[:, None] * d[inside]
        np.add.at(forces, self._b[inside], coef)
        np.add.at(forces, self._a[inside], -coef)
        return float(self.k * (dr * dr).sum()), forces

    def energy(self, positions: np.ndarray, box: np.ndarray | None = None) -> float:
        """Energy, kJ/mol."""
        return self.energy_forces(positions, box)[0]

    def energy_components(self, positions: np.ndarray, box: np.ndarray | None = None
                          ) -> dict[str, float]:
        return {self.name: self.energy(positions, box)}
