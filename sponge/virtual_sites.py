"""Virtual sites: massless particles placed from their parent atoms.

Before the forces are evaluated, :meth:`VirtualSites.compute_positions` sets
each site's position from its parents; after, :meth:`VirtualSites.distribute_forces`
moves the force that acts on each site onto its parents (the chain rule
``F_parent += (d r_site / d r_parent)^T F_site``) and zeroes it on the site.
Kinds (OpenMM's definitions, nm):

    two-particle average:    r = w1 r1 + w2 r2
    three-particle average:  r = w1 r1 + w2 r2 + w3 r3           (TIP4P-Ew M site)
    out-of-plane:            r = r1 + w12 r12 + w13 r13 + wc (r12 x r13),  rij = rj - ri

Sites are processed in the order given; a site whose parent is itself a site
must come after that parent (as OpenMM requires).
"""

from __future__ import annotations

import numpy as np


class VirtualSites:
    """A set of virtual sites of the three linear/out-of-plane kinds.

    Args:
        n_atoms: number of particles (sites included).
    """

    def __init__(self, n_atoms: int) -> None:
        self.n_atoms = int(n_atoms)
        self._avg2: list[tuple[int, int, int, float, float]] = []
        self._avg3: list[tuple[int, int, int, int, float, float, float]] = []
        self._oop: list[tuple[int, int, int, int, float, float, float]] = []
        self._frozen = False

    def _check(self, kind: str, site: int, parents) -> None:
        for a in (site, *parents):
            if not 0 <= a < self.n_atoms:
                raise ValueError(
                    f"{kind} virtual site {site}: atom {a} out of 0..{self.n_atoms - 1}"
                )
        if site in parents:
            raise ValueError(f"{kind} virtual site {site} lists itself as a parent")
        self._frozen = False

    def add_two_particle_average(self, site: int, p1: int, p2: int, w1: float, w2: float) -> None:
        """Add ``r_site = w1 r_p1 + w2 r_p2``."""
        self._check("TwoParticleAverage", site, (p1, p2))
        self._avg2.append((site, p1, p2, float(w1), float(w2)))

    def add_three_particle_average(self, site, p1, p2, p3, w1, w2, w3) -> None:
        """Add ``r_site = w1 r_p1 + w2 r_p2 + w3 r_p3``."""
        self._check("ThreeParticleAverage", site, (p1, p2, p3))
        self._avg3.append((site, p1, p2, p3, float(w1), float(w2), float(w3)))

    def add_out_of_plane(self, site, p1, p2, p3, w12, w13, wcross) -> None:
        """Add ``r_site = r1 + w12 (r2 - r1) + w13 (r3 - r1) + wc (r2 - r1) x (r3 - r1)``."""
        self._check("OutOfPlane", site, (p1, p2, p3))
        self._oop.append((site, p1, p2, p3, float(w12), float(w13), float(wcross)))

    def __len__(self) -> int:
        return len(self._avg2) + len(self._avg3) + len(self._oop)

    @property
    def site_indices(self) -> np.ndarray:
        """Indices of all virtual-site particles."""
        return np.array(
            [s[0] for s in self._avg2 + self._avg3 + self._oop], dtype=np.int64
        )

    def _arrays(self):
        if not self._frozen:
            a2 = np.array(self._avg2, dtype=np.float64).reshape(-1, 5)
            a3 = np.array(self._avg3, dtype=np.float64).reshape(-1, 7)
            oo = np.array(self._oop, dtype=np.float64).reshape(-1, 7)
            self._a2 = (a2[:, :3].astype(np.int64), a2[:, 3:])
            self._a3 = (a3[:, :4].astype(np.int64), a3[:, 4:])
            self._oo = (oo[:, :4].astype(np.int64), oo[:, 4:])
            sites = self.site_indices
            parents = np.concatenate([self._a2[0][:, 1:].ravel(), self._a3[0][:, 1:].ravel(),
                                      self._oo[0][:, 1:].ravel()])
            self._chained = bool(np.isin(parents, sites).any())
            self._frozen = True
        return self._a2, self._a3, self._oo

    def compute_positions(self, positions: np.ndarray) -> np.ndarray:
        """Set the site positions in place from their parents; returns ``positions``.

        Args:
            positions: ``(n_atoms, 3)`` nm, modified in place.
        """
        if len(self) == 0:
            return positions
        (i2, w2), (i3, w3), (io, wo) = self._arrays()
        if self._chained:  # sites built on sites: one at a time, in order
            for s, p1, p2, a, b in self._avg2:
                positions[s] = a * positions[p1] + b * positions[p2]
            for s, p1, p2, p3, a, b, c in self._avg3:
                positions[s] = a * positions[p1] + b * positions[p2] + c * positions[p3]
            for s, p1, p2, p3, a, b, c in self._oop:
                r12 = positions[p2] - positions[p1]
                r13 = positions[p3] - positions[p1]
                positions[s] = positions[p1] + a * r12 + b * r13 + c * np.cross(r12, r13)
            return positions
        if len(i2):
            positions[i2[:, 0]] = (w2[:, :1] * positions[i2[:, 1]]
                                   + w2[:, 1:2] * positions[i2[:, 2]])
        if len(i3):
            positions[i3[:, 0]] = (w3[:, :1] * positions[i3[:, 1]]
                                   + w3[:, 1:2] * positions[i3[:, 2]]
                                   + w3[:, 2:3] * positions[i3[:, 3]])
        if len(io):
            r1 = positions[io[:, 1]]
            r12 = positions[io[:, 2]] - r1
            r13 = positions[io[:, 3]] - r1
            positions[io[:, 0]] = (r1 + wo[:, :1] * r12 + wo[:, 1:2] * r13
                                   + wo[:, 2:3] * np.cross(r12, r13))
        return positions

    def distribute_forces(self, positions: np.ndarray, forces: np.ndarray) -> np.ndarray:
        """Move the forces on the sites onto their parents, in place; returns ``forces``.

        Args:
            positions: ``(n_atoms, 3)`` nm, sites already placed.
            forces: ``(n_atoms, 3)`` kJ/mol/nm; site rows are zero afterwards.
        """
        if len(self) == 0:
            return forces
        (i2, w2), (i3, w3), (io, wo) = self._arrays()
        # reverse order of placement so that chained sites pass force down correctly
        for s, p1, p2, p3, a, b, c in reversed(self._oop):
            f = forces[s].copy()
            r12 = positions[p2] - positions[p1]
            r13 = positions[p3] - positions[p1]
            f2 = a * f + c * np.cross(r13, f)
            f3 = b * f + c * np.cross(f, r12)
            forces[p1] += f - f2 - f3
            forces[p2] += f2
            forces[p3] += f3
            forces[s] = 0.0
        if self._chained:
            for s, p1, p2, p3, a, b, c in reversed(self._avg3):
                f = forces[s].copy()
                forces[p1] += a * f
                forces[p2] += b * f
                forces[p3] += c * f
                forces[s] = 0.0
            for s, p1, p2, a, b in reversed(self._avg2):
                f = forces[s].copy()
                forces[p1] += a * f
                forces[p2] += b * f
                forces[s] = 0.0
            return forces
        for idx, w in ((i3, w3), (i2, w2)):
            if len(idx):
                f = forces[idx[:, 0]].copy()
                forces[idx[:, 0]] = 0.0
                for p in range(1, idx.shape[1]):
                    np.add.at(forces, idx[:, p], w[:, p - 1 : p] * f)
        return forces
