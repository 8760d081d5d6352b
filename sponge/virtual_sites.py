"""Virtual sites: massless particles placed from their parent atoms.

Before the forces are evaluated, :meth:`VirtualSites.compute_positions` sets
each site's position from its parents; after, :meth:`VirtualSites.distribute_forces`
moves the force that acts on each site onto its parents (the chain rule
``F_parent += (d r_site / d r_parent)^T F_site``) and zeroes it on the site.
Kinds (OpenMM's definitions, nm):

    two-particle average:    r = w1 r1 + w2 r2
    three-particle average:  r = w1 r1 + w2 r2 + w3 r3           (TIP4P-Ew M site)
    out-of-plane:            r = r1 + w12 r12 + w13 r13 + wc (r12 x r13),  rij = rj - ri
    local coordinates:       o = sum_i wo_i r_i, X = sum_i wx_i r_i, Y = sum_i wy_i r_i,
                             ex = X/|X|, ez = (X x Y)/|X x Y|, ey = ez x ex,
                             r = o + lx ex + ly ey + lz ez              (TIP5P, ...)
    fixed distance:          D = (r2 - r1) + k (r3 - r2),  r = r1 + d D/|D|
                             (GROMACS "3fd", SPONGE virtual atom type 3, Amber's EP)

For the local-coordinates kind the force ``f`` on the site reaches the parents
through ``F_i = wo_i f + wx_i F_X + wy_i F_Y`` with (P_a = I - e_a e_a^T)

    g   = P_z (ly (ex x f) + lz f) / |X x Y|
    F_X = P_x (lx f - ly (ez x f)) / |X| + Y x g,     F_Y = g x X.

Sites are processed in the order given; a site whose parent is itself a site
must come after that parent (as OpenMM requires).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class VirtualSites:
    """A set of virtual sites of the kinds listed in the module docstring.

    Args:
        n_atoms: number of particles (sites included).
    """

    def __init__(self, n_atoms: int) -> None:
        self.n_atoms = int(n_atoms)
        self._avg2: list[tuple[int, int, int, float, float]] = []
        self._avg3: list[tuple[int, int, int, int, float, float, float]] = []
        self._oop: list[tuple[int, int, int, int, float, float, float]] = []
        self._local: list[tuple[int, tuple[int, ...], np.ndarray]] = []
        self._fd: list[tuple[int, int, int, int, float, float]] = []
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

    def add_three_particle_average(
        self, site: int, p1: int, p2: int, p3: int, w1: float, w2: float, w3: float
    ) -> None:
        """Add ``r_site = w1 r_p1 + w2 r_p2 + w3 r_p3``."""
        self._check("ThreeParticleAverage", site, (p1, p2, p3))
        self._avg3.append((site, p1, p2, p3, float(w1), float(w2), float(w3)))

    def add_out_of_plane(
        self, site: int, p1: int, p2: int, p3: int, w12: float, w13: float, wcross: float
    ) -> None:
        """Add ``r_site = r1 + w12 (r2 - r1) + w13 (r3 - r1) + wc (r2 - r1) x (r3 - r1)``."""
        self._check("OutOfPlane", site, (p1, p2, p3))
        self._oop.append((site, p1, p2, p3, float(w12), float(w13), float(wcross)))

    def add_local_coordinates(
        self,
        site: int,
        parents: Sequence[int],
        origin_weights: Sequence[float],
        x_weights: Sequence[float],
        y_weights: Sequence[float],
        local_position: Sequence[float],
    ) -> None:
        """Add a local-coordinates site (OpenMM's ``LocalCoordinatesSite``).

        Args:
            site: particle index of the site.
            parents: ``(k,)`` parent particle indices.
            origin_weights, x_weights, y_weights: ``(k,)`` weights (origin weights sum to 1,
                x and y weights to 0).
            local_position: ``(3,)`` position in the local frame, nm.
        """
        parents = tuple(int(p) for p in parents)
        self._check("LocalCoordinates", site, parents)
        w = np.array([origin_weights, x_weights, y_weights], dtype=np.float64).reshape(3, -1)
        if w.shape[1] != len(parents):
            raise ValueError(
                f"LocalCoordinates virtual site {site}: {len(parents)} parents but "
                f"{w.shape[1]} weights"
            )
        lp = np.asarray(local_position, dtype=np.float64).reshape(3)
        self._local.append((int(site), parents, np.concatenate([w.ravel(), lp])))

    def add_fixed_distance(
        self, site: int, p1: int, p2: int, p3: int, distance: float, k: float
    ) -> None:
        """Add ``r = r1 + d D/|D|`` with ``D = (r2 - r1) + k (r3 - r2)`` (``d`` in nm)."""
        self._check("FixedDistance", site, (p1, p2, p3))
        self._fd.append((int(site), int(p1), int(p2), int(p3), float(distance), float(k)))

    @staticmethod
    def _fd_geometry(positions, idx, d, k):
        r1 = positions[idx[:, 1]]
        direction = (positions[idx[:, 2]] - r1) + k * (positions[idx[:, 3]] - positions[idx[:, 2]])
        norm = np.linalg.norm(direction, axis=1, keepdims=True)
        return r1, direction / norm, d / norm

    def _place_fd(self, positions, idx, d, k):
        r1, unit, _ = self._fd_geometry(positions, idx, d, k)
        positions[idx[:, 0]] = r1 + d * unit

    def _spread_fd(self, positions, forces, idx, d, k):
        _, unit, scale = self._fd_geometry(positions, idx, d, k)
        f = forces[idx[:, 0]].copy()
        forces[idx[:, 0]] = 0.0
        corr = scale * (f - unit * np.sum(unit * f, axis=1, keepdims=True))
        np.add.at(forces, idx[:, 1], f - corr)
        np.add.at(forces, idx[:, 2], (1.0 - k) * corr)
        np.add.at(forces, idx[:, 3], k * corr)

    def _fd_arrays(self):
        a = np.array(self._fd, dtype=np.float64).reshape(-1, 6)
        return a[:, :4].astype(np.int64), a[:, 4:5], a[:, 5:6]

    def __len__(self) -> int:
        return len(self._avg2) + len(self._avg3) + len(self._oop) + len(self._local) + len(self._fd)

    @property
    def site_indices(self) -> np.ndarray:
        """Indices of all virtual-site particles."""
        return np.array(
            [s[0] for s in self._avg2 + self._avg3 + self._oop + self._local + self._fd],
            dtype=np.int64,
        )

    def _local_groups(self):
        """Local-coordinate sites grouped by parent count: (sites, parents, wo, wx, wy, lp)."""
        groups = {}
        for site, parents, data in self._local:
            groups.setdefault(len(parents), []).append((site, parents, data))
        out = []
        for k, items in groups.items():
            data = np.array([d for _, _, d in items])
            out.append(
                (
                    np.array([s for s, _, _ in items], dtype=np.int64),
                    np.array([p for _, p, _ in items], dtype=np.int64),
                    data[:, :k],
                    data[:, k : 2 * k],
                    data[:, 2 * k : 3 * k],
                    data[:, 3 * k :],
                )
            )
        return out

    @staticmethod
    def _local_frame(positions, parents, wo, wx, wy):
        r = positions[parents]  # (m, k, 3)
        origin = np.einsum("mk,mkd->md", wo, r)
        xv = np.einsum("mk,mkd->md", wx, r)
        yv = np.einsum("mk,mkd->md", wy, r)
        zv = np.cross(xv, yv)
        nx = np.linalg.norm(xv, axis=1, keepdims=True)
        nz = np.linalg.norm(zv, axis=1, keepdims=True)
        ex, ez = xv / nx, zv / nz
        ey = np.cross(ez, ex)
        return origin, xv, yv, ex, ey, ez, nx, nz

    def _arrays(self):
        if not self._frozen:
            a2 = np.array(self._avg2, dtype=np.float64).reshape(-1, 5)
            a3 = np.array(self._avg3, dtype=np.float64).reshape(-1, 7)
            oo = np.array(self._oop, dtype=np.float64).reshape(-1, 7)
            self._a2 = (a2[:, :3].astype(np.int64), a2[:, 3:])
            self._a3 = (a3[:, :4].astype(np.int64), a3[:, 4:])
            self._oo = (oo[:, :4].astype(np.int64), oo[:, 4:])
            sites = self.site_indices
            parents = np.concatenate(
                [
                    self._a2[0][:, 1:].ravel(),
                    self._a3[0][:, 1:].ravel(),
                    self._oo[0][:, 1:].ravel(),
                    np.array([p for _, ps, _ in self._local for p in ps], dtype=np.int64),
                    np.array([p for f in self._fd for p in f[1:4]], dtype=np.int64),
                ]
            )
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
            for site, parents, data in self._local:
                self._place_local(
                    positions,
                    np.array([site]),
                    np.array([parents]),
                    *self._split(data, len(parents)),
                )
            idx, d, k = self._fd_arrays()
            for m in range(len(idx)):
                self._place_fd(positions, idx[m : m + 1], d[m : m + 1], k[m : m + 1])
            return positions
        if len(i2):
            positions[i2[:, 0]] = w2[:, :1] * positions[i2[:, 1]] + w2[:, 1:2] * positions[i2[:, 2]]
        if len(i3):
            positions[i3[:, 0]] = (
                w3[:, :1] * positions[i3[:, 1]]
                + w3[:, 1:2] * positions[i3[:, 2]]
                + w3[:, 2:3] * positions[i3[:, 3]]
            )
        if len(io):
            r1 = positions[io[:, 1]]
            r12 = positions[io[:, 2]] - r1
            r13 = positions[io[:, 3]] - r1
            positions[io[:, 0]] = (
                r1 + wo[:, :1] * r12 + wo[:, 1:2] * r13 + wo[:, 2:3] * np.cross(r12, r13)
            )
        for sites, parents, lwo, lwx, lwy, lp in self._local_groups():
            self._place_local(positions, sites, parents, lwo, lwx, lwy, lp)
        if self._fd:
            self._place_fd(positions, *self._fd_arrays())
        return positions

    @staticmethod
    def _split(data, k):
        d = data[None, :]
        return d[:, :k], d[:, k : 2 * k], d[:, 2 * k : 3 * k], d[:, 3 * k :]

    def _place_local(self, positions, sites, parents, wo, wx, wy, lp):
        origin, _, _, ex, ey, ez, _, _ = self._local_frame(positions, parents, wo, wx, wy)
        positions[sites] = origin + lp[:, :1] * ex + lp[:, 1:2] * ey + lp[:, 2:3] * ez

    def _spread_local(self, positions, forces, sites, parents, wo, wx, wy, lp):
        _, xv, yv, ex, ey, ez, nx, nz = self._local_frame(positions, parents, wo, wx, wy)
        f = forces[sites].copy()
        forces[sites] = 0.0
        lx, ly, lz = lp[:, :1], lp[:, 1:2], lp[:, 2:3]

        def project(e, v):  # (I - e e^T) v
            return v - e * np.sum(e * v, axis=1, keepdims=True)

        g = project(ez, ly * np.cross(ex, f) + lz * f) / nz
        fx = project(ex, lx * f - ly * np.cross(ez, f)) / nx + np.cross(yv, g)
        fy = np.cross(g, xv)
        for k in range(parents.shape[1]):
            np.add.at(
                forces,
                parents[:, k],
                wo[:, k : k + 1] * f + wx[:, k : k + 1] * fx + wy[:, k : k + 1] * fy,
            )

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
        if self._fd:
            idx, d, k = self._fd_arrays()
            if self._chained:
                for m in reversed(range(len(idx))):
                    self._spread_fd(positions, forces, idx[m : m + 1], d[m : m + 1], k[m : m + 1])
            else:
                self._spread_fd(positions, forces, idx, d, k)
        if self._chained:
            for site, parents, data in reversed(self._local):
                self._spread_local(
                    positions,
                    forces,
                    np.array([site]),
                    np.array([parents]),
                    *self._split(data, len(parents)),
                )
        else:
            for group in self._local_groups():
                self._spread_local(positions, forces, *group)
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
