"""Behler-Parrinello atom-centred symmetry functions (J. Chem. Phys. 134, 074106 (2011)).

Radial G2 per neighbour species s and shell k:
    G2_i[s, k] = sum_{j in s} exp(-eta (r_ij - R_k)^2) f_c(r_ij)
Angular G4 per unordered neighbour-species pair (s, t) and (zeta, lambda):
    G4_i[st, z] = 2^(1-zeta) sum_{j<k} (1 + lambda cos theta_ijk)^zeta
                  exp(-eta_a (r_ij^2 + r_ik^2)) f_c(r_ij) f_c(r_ik)
(the r_jk factor of Behler's G4 is left out, as in ANI's modified angular
terms). Everything is composed from core_autodiff primitives over the pair
and triplet index lists, so the descriptors are differentiable to any order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

import core_autodiff as ad

from .graph import Graph, cosine_cutoff, pair_vectors


@njit(cache=True)
def _triplets(i: np.ndarray, r: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of pair indices (p, q), p < q, sharing the receiver i, both within ``cutoff``.

    ``i`` must be sorted. Returns two int64 arrays of pair indices.
    """
    n = i.shape[0]
    count = 0
    start = 0
    while start < n:
        end = start
        while end < n and i[end] == i[start]:
            end += 1
        m = 0
        for p in range(start, end):
            if r[p] < cutoff:
                m += 1
        count += m * (m - 1) // 2
        start = end
    a = np.empty(count, np.int64)
    b = np.empty(count, np.int64)
    c = 0
    start = 0
    while start < n:
        end = start
        while end < n and i[end] == i[start]:
            end += 1
        for p in range(start, end):
            if r[p] >= cutoff:
                continue
            for q in range(p + 1, end):
                if r[q] < cutoff:
                    a[c] = p
                    b[c] = q
                    c += 1
        start = end
    return a, b


@dataclass
class SymmetryFunctions:
    """Descriptor settings; ``__call__(graph, x)`` returns ``(N, n_features)``.

    Args:
        n_species: species indices 0..S-1.
        radial_cutoff, angular_cutoff: nm.
        radial_shells: centres R_k (nm) of the radial Gaussians.
        radial_eta: width parameter, 1/nm^2.
        zetas, lambdas: angular exponents and signs.
        angular_eta: 1/nm^2.
    """

    n_species: int
    radial_cutoff: float = 0.52
    angular_cutoff: float = 0.35
    radial_shells: np.ndarray = field(default_factory=lambda: np.linspace(0.08, 0.5, 12))
    radial_eta: float = 400.0
    zetas: tuple[float, ...] = (1.0, 4.0)
    lambdas: tuple[float, ...] = (1.0, -1.0)
    angular_eta: float = 40.0

    @property
    def n_radial(self) -> int:
        return self.n_species * len(self.radial_shells)

    @property
    def n_angular(self) -> int:
        s = self.n_species
        return s * (s + 1) // 2 * len(self.zetas) * len(self.lambdas)

    @property
    def n_features(self) -> int:
        return self.n_radial + self.n_angular

    @property
    def cutoff(self) -> float:
        return max(self.radial_cutoff, self.angular_cutoff)

    def __call__(self, g: Graph, x: ad.Tensor) -> ad.Tensor:
        S = self.n_species
        n = g.n_atoms
        vec = pair_vectors(g, x)
        r = ad.safe_norm(vec, axis=-1)
        fc = cosine_cutoff(r, self.radial_cutoff)
        # radial: (P, K) x one-hot(species_j) -> (P, S*K) -> sum over j
        rad = ad.exp(-self.radial_eta * ad.square(ad.reshape(r, (-1, 1)) - self.radial_shells))
        rad = rad * ad.reshape(fc, (-1, 1))
        onehot = np.eye(S)[g.species[g.j]]
        rad_s = ad.reshape(ad.einsum("pk,ps->psk", rad, onehot), (-1, self.n_radial))
        g2 = ad.segment_sum(rad_s, g.i, n)
        # angular: triplets of pairs sharing the centre
        pa, pb = _triplets(g.i, r.data, self.angular_cutoff)
        if pa.size == 0:
            g4 = ad.tensor(np.zeros((n, self.n_angular), dtype=x.dtype))
            return ad.concatenate([g2, g4], axis=1)
        fca = cosine_cutoff(r, self.angular_cutoff)
        va, vb = ad.take(vec, pa), ad.take(vec, pb)
        ra, rb = ad.take(r, pa), ad.take(r, pb)
        cos = ad.sum(va * vb, axis=-1) / (ra * rb)
        radial_part = ad.exp(-self.angular_eta * (ra * ra + rb * rb)) * ad.take(fca, pa) \
            * ad.take(fca, pb)
        terms = []
        for z in self.zetas:
            for lam in self.lambdas:
                base = ad.maximum(1.0 + lam * cos, 0.0)
                terms.append((2.0 ** (1.0 - z)) * base**z * radial_part)
        ang = ad.stack(terms, axis=1)  # (T, Z)
        sj, sk = g.species[g.j[pa]], g.species[g.j[pb]]
        lo, hi = np.minimum(sj, sk), np.maximum(sj, sk)
        # index of the species pair (lo, hi) in the row-major upper triangle
        pair_channel = lo * S - lo * (lo - 1) // 2 + (hi - lo)
        n_pairs = S * (S + 1) // 2
        onehot_pair = np.eye(n_pairs)[pair_channel]
        ang_s = ad.reshape(ad.einsum("tz,tc->tcz", ang, onehot_pair), (-1, self.n_angular))
        g4 = ad.segment_sum(ang_s, g.i[pa], n)
        return ad.concatenate([g2, g4], axis=1)
