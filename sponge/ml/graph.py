"""Atom graphs for neural potentials: directed pair lists over one or many configurations.

A :class:`Graph` batches ``n_mol`` configurations into one set of atoms
(``N`` in total) and the directed pairs ``(i, j)`` closer than the cutoff
(each unordered pair appears twice, once per direction; ``i`` receives the
message from ``j``). Periodic images enter through constant ``shifts``, so
the displacement ``r_ij = x_j - x_i + shift_ij`` is a differentiable function
of the positions (:func:`pair_vectors`); the shifts are recomputed from the
current positions at every evaluation (minimum image), so they are piecewise
constant and the gradient is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import core_autodiff as ad
from sponge.neighbor_list import NeighborList, minimum_image


@dataclass
class Graph:
    """Atoms and directed pairs of a batch of configurations.

    Attributes:
        species: ``(N,)`` int species indices (model-specific, e.g. atomic numbers
            mapped to 0..S-1).
        i, j: ``(P,)`` int64 receiver / sender atom indices.
        mol: ``(N,)`` int64 configuration index of each atom.
        n_mol: number of configurations.
        boxes: ``(n_mol, 3, 3)`` periodic boxes (nm) or None.
    """

    species: np.ndarray
    i: np.ndarray
    j: np.ndarray
    mol: np.ndarray
    n_mol: int
    boxes: np.ndarray | None = None

    @property
    def n_atoms(self) -> int:
        return int(self.species.shape[0])


def _pairs_one(pos: np.ndarray, box: np.ndarray | None, cutoff: float) -> np.ndarray:
    """Unordered pairs (i < j) closer than ``cutoff`` (nm) in one configuration."""
    n = len(pos)
    if n < 2:
        return np.zeros((0, 2), np.int64)
    if n <= 64 or box is None and n <= 256:
        a, b = np.triu_indices(n, 1)
        d = minimum_image(pos[b] - pos[a], box)
        keep = (d * d).sum(-1) < cutoff * cutoff
        return np.stack([a[keep], b[keep]], 1).astype(np.int64)
    nl = NeighborList(n, cutoff, skin=0.0, periodic=box is not None)
    nl.build(pos, box)
    return nl.pairs()


def build_graph(species: np.ndarray, positions: np.ndarray, boxes: np.ndarray | None,
                cutoff: float) -> Graph:
    """Batch configurations into one :class:`Graph`.

    Args:
        species: ``(n_atoms,)`` int, the same for every configuration.
        positions: ``(n_conf, n_atoms, 3)`` or ``(n_atoms, 3)`` nm.
        boxes: ``(n_conf, 3, 3)``, ``(3, 3)`` or None (non-periodic).
        cutoff: pair cutoff, nm.
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim == 2:
        pos = pos[None]
    n_conf, n_at, _ = pos.shape
    species = np.asarray(species, dtype=np.int64).reshape(-1)
    if species.shape[0] != n_at:
        raise ValueError(f"{species.shape[0]} species for {n_at} atoms per configuration")
    if boxes is not None:
        boxes = np.asarray(boxes, dtype=np.float64)
        if boxes.ndim == 2:
            boxes = np.broadcast_to(boxes, (n_conf, 3, 3))
    ii, jj = [], []
    for c in range(n_conf):
        p = _pairs_one(pos[c], None if boxes is None else boxes[c], cutoff)
        off = c * n_at
        ii.append(np.concatenate([p[:, 0], p[:, 1]]) + off)
        jj.append(np.concatenate([p[:, 1], p[:, 0]]) + off)
    i = np.concatenate(ii) if ii else np.zeros(0, np.int64)
    j = np.concatenate(jj) if jj else np.zeros(0, np.int64)
    order = np.argsort(i, kind="stable")
    return Graph(species=np.tile(species, n_conf), i=i[order], j=j[order],
                 mol=np.repeat(np.arange(n_conf, dtype=np.int64), n_at), n_mol=n_conf,
                 boxes=None if boxes is None else np.ascontiguousarray(boxes))


def image_shifts(g: Graph, raw: np.ndarray, recv: np.ndarray) -> np.ndarray:
    """Minimum-image corrections ``(P, 3)`` (nm, ``raw``'s dtype) of raw displacements
    ``raw = x[send] - x[recv]``; ``recv`` picks each pair's configuration box."""
    shift = np.empty_like(raw)
    mol = g.mol[recv]
    for m in range(g.n_mol):
        sel = mol == m if g.n_mol > 1 else slice(None)
        shift[sel] = minimum_image(raw[sel], g.boxes[m]) - raw[sel]
    return shift


def pair_vectors(g: Graph, x: ad.Tensor) -> ad.Tensor:
    """Minimum-image displacements ``r_ij = x_j - x_i (+ image shift)``, ``(P, 3)`` nm."""
    d = ad.take(x, g.j) - ad.take(x, g.i)
    if g.boxes is None:
        return d
    return d + image_shifts(g, d.data, g.i)


def cosine_cutoff(r: ad.Tensor, cutoff: float) -> ad.Tensor:
    """0.5 (cos(pi r / rc) + 1) for r < rc, else 0 (smooth to first derivative)."""
    inside = r.data < cutoff
    rr = ad.where(inside, r, cutoff)
    return ad.where(inside, 0.5 * (ad.cos(rr * (np.pi / cutoff)) + 1.0), 0.0)


def gaussian_rbf(r: ad.Tensor, centers: np.ndarray, gamma: float) -> ad.Tensor:
    """exp(-gamma (r - mu_k)^2): ``(P,)`` -> ``(P, K)``."""
    return ad.exp(-gamma * ad.square(ad.reshape(r, (-1, 1)) - centers))
