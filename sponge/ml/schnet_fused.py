"""Fused first-order energy and position gradient of :class:`SchNet`, the MD fast path.

An MD step needs E and dE/dx only, never a graph for a second derivative, so
this path runs the forward pass on plain arrays, keeps what the reverse pass
needs, and runs the reverse pass by hand: no Tensor, no tape, one numba
kernel per message-passing sweep. Same arithmetic as the autodiff model in the
same precision (results agree to round-off; ``tests/sponge/test_ml_fused.py``).

Two savings beyond dropping the tape:

- each unordered pair appears twice in the directed pair list with the same
  distance, hence the same filter ``W(r)``: the filter network (two dense
  layers and a shifted softplus on ``(pairs, F)``, the bulk of the work) and
  its reverse pass run once per unordered pair, half the directed work;
- the filter's cotangent, its cutoff-weight cotangent and the pair products
  ``gm[i] * x[j] + gm[j] * x[i]`` come out of one kernel pass.

Graphs whose pairs are not symmetric (each unordered pair exactly twice, once
per direction) and models whose weights live on a GPU fall back to the
autodiff path.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import get_num_threads, njit, prange

import core_autodiff as ad
from core_autodiff.kernels import cpu

from .graph import Graph, image_shifts

if TYPE_CHECKING:  # pragma: no cover
    from .schnet import SchNet

_LOG2 = float(np.log(2.0))


class UndirectedPairs(NamedTuple):
    """The unordered pairs behind a symmetric directed pair list.

    Attributes:
        a, b: ``(U,)`` atom indices of each unordered pair, a < b.
        seg: ``(N + 1,)`` CSR offsets of the directed pairs sorted by receiver.
        src: ``(P,)`` sender of each directed pair in that order.
        pair: ``(P,)`` unordered-pair index of each directed pair in that order.
    """

    a: np.ndarray
    b: np.ndarray
    seg: np.ndarray
    src: np.ndarray
    pair: np.ndarray


def undirected_pairs(g: Graph) -> UndirectedPairs | None:
    """The unordered pairs of ``g`` (cached on the graph), or None when its directed
    pairs are not each unordered pair exactly once in each direction."""
    cached = getattr(g, "_undirected", None)
    if cached is not None and cached[0] is g.i and cached[1] is g.j:
        return cached[2]
    i, j = np.asarray(g.i, np.int64), np.asarray(g.j, np.int64)
    n = g.n_atoms
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    key = lo * n + hi
    uniq, first, inv, counts = np.unique(key, return_index=True, return_inverse=True,
                                         return_counts=True)
    forward = np.bincount(inv, weights=(i < j), minlength=uniq.size) if i.size else counts
    out = None
    if i.size and np.all(i != j) and np.all(counts == 2) and np.all(forward == 1):
        order = np.argsort(i, kind="stable")
        seg = np.searchsorted(i[order], np.arange(n + 1)).astype(np.int64)
        out = UndirectedPairs(lo[first], hi[first], seg, j[order], inv[order].astype(np.int64))
    g._undirected = (g.i, g.j, out)
    return out


# --------------------------------------------------------------------------- kernels
@njit(cache=True, fastmath=True)
def _messages_serial(x, w, seg, src, pair, out):
    # out[d] = sum over directed pairs (d <- s) of x[s] * w[pair]
    m = x.shape[1]
    for d in range(out.shape[0]):
        for p in range(seg[d], seg[d + 1]):
            s = src[p]
            u = pair[p]
            for k in range(m):
                out[d, k] += x[s, k] * w[u, k]


@njit(cache=True, fastmath=True, parallel=True)
def _messages_parallel(x, w, seg, src, pair, out):
    m = x.shape[1]
    for d in prange(out.shape[0]):
        for p in range(seg[d], seg[d + 1]):
            s = src[p]
            u = pair[p]
            for k in range(m):
                out[d, k] += x[s, k] * w[u, k]


@njit(cache=True, fastmath=True)
def _filter_grad_serial(gm, x, a2, fc, a, b, ga2, gfc, zero):
    # t = dE/dw[u] = gm[a] x[b] + gm[b] x[a]; w = a2 * fc
    m = x.shape[1]
    for u in range(a.shape[0]):
        ia = a[u]
        ib = b[u]
        f = fc[u]
        acc = zero
        for k in range(m):
            t = gm[ia, k] * x[ib, k] + gm[ib, k] * x[ia, k]
            acc += t * a2[u, k]
            ga2[u, k] = t * f
        gfc[u] += acc


@njit(cache=True, fastmath=True, parallel=True)
def _filter_grad_parallel(gm, x, a2, fc, a, b, ga2, gfc, zero):
    m = x.shape[1]
    for u in prange(a.shape[0]):
        ia = a[u]
        ib = b[u]
        f = fc[u]
        acc = zero
        for k in range(m):
            t = gm[ia, k] * x[ib, k] + gm[ib, k] * x[ia, k]
            acc += t * a2[u, k]
            ga2[u, k] = t * f
        gfc[u] += acc


def _parallel(size: int) -> bool:
    return size >= cpu.PARALLEL_THRESHOLD and get_num_threads() > 1


def messages(x: np.ndarray, w: np.ndarray, up: UndirectedPairs) -> np.ndarray:
    """``out[i] = sum_j x[j] * w[pair(i, j)]``: (N, F), (U, F) -> (N, F)."""
    out = np.zeros_like(x)
    kern = _messages_parallel if _parallel(up.src.size * x.shape[1]) else _messages_serial
    kern(x, w, up.seg, up.src, up.pair, out)
    return out


def _filter_grad(gm, x, a2, fc, up, gfc, ga2):
    kern = _filter_grad_parallel if _parallel(a2.size) else _filter_grad_serial
    kern(gm, x, a2, fc, up.a, up.b, ga2, gfc, a2.dtype.type(0))
    return ga2


def _ssp(a: np.ndarray, out=None, sig=None, work=None) -> tuple[np.ndarray, np.ndarray]:
    """Shifted softplus of ``a`` and its derivative sigmoid(a)."""
    y, s = cpu.softplus_sigmoid(a, out, sig, work)
    y -= _LOG2
    return y, s


class _Workspace:
    """Pair-sized arrays kept from one call to the next (per model): fresh multi-MB
    arrays cost page faults on every MD step, a third of the step's time here.
    Buffers have 25 % spare rows so a rebuilt neighbour list rarely needs new ones."""

    def __init__(self) -> None:
        self._bufs: dict[str, np.ndarray] = {}

    def __call__(self, key: str, rows: int, cols: int, dtype: np.dtype) -> np.ndarray:
        buf = self._bufs.get(key)
        if buf is None or buf.shape[0] < rows or buf.shape[1] != cols or buf.dtype != dtype:
            buf = np.empty((rows + rows // 4 + 16, cols), dtype)
            self._bufs[key] = buf
        return buf[:rows]


_WORKSPACES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- model
def energy_and_gradient(model: SchNet, g: Graph, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Energies ``(n_mol,)`` kJ/mol and ``d(sum E)/dx`` ``(N, 3)`` kJ/mol/nm of a SchNet.

    Args:
        model: the :class:`SchNet` (its current weights; nothing is recorded).
        g: pair graph of the configurations.
        x: ``(N, 3)`` positions, nm (cast to the model's dtype).

    The model keeps its pair-sized scratch arrays between calls (about
    ``(3 n_interactions + 5) x pairs x F`` numbers).
    """
    dt = model.dtype
    x = np.ascontiguousarray(x, dtype=dt)
    up = undirected_pairs(g)
    if up is None or not isinstance(model.embedding.data, np.ndarray):
        # asymmetric pair list, or weights on a GPU: the autodiff path
        return _autodiff_energy_and_gradient(model, g, x)
    model.check_species(g)
    ws = _WORKSPACES.get(model)
    if ws is None:
        ws = _WORKSPACES[model] = _Workspace()
    n_pairs, n_rbf = up.a.size, model.centers.size
    # pair geometry on unordered pairs (a -> b), as pair_vectors
    d = x[up.b] - x[up.a]
    if g.boxes is not None:
        d += image_shifts(g, d, up.a)
    sq = (d * d).sum(-1)
    pos = sq > 0
    r = np.sqrt(np.where(pos, sq, 1.0), dtype=dt) * pos
    # radial basis and cutoff (gaussian_rbf, cosine_cutoff)
    diff = np.subtract(r[:, None], model.centers, out=ws("diff", n_pairs, n_rbf, dt))
    rbf = np.square(diff, out=ws("rbf", n_pairs, n_rbf, dt))
    rbf *= -model.gamma
    np.exp(rbf, out=rbf)
    inside = r < model.cutoff
    arg = np.where(inside, r, model.cutoff).astype(dt, copy=False) * (np.pi / model.cutoff)
    fc = (0.5 * (np.cos(arg) + 1.0)) * inside
    dfc = (-0.5 * (np.pi / model.cutoff)) * np.sin(arg) * inside

    h = model.embedding.data[g.species]
    tape = []
    for t, blk in enumerate(model.interactions):
        f1, f2 = blk.filter1, blk.filter2
        nf = f2.out_features
        a1 = np.matmul(rbf, f1.weight.data, out=ws("a1", n_pairs, f1.out_features, dt))
        a1 += f1.bias.data
        s1, sig1 = _ssp(a1, ws("s1", n_pairs, a1.shape[1], dt),
                        ws(f"sig1.{t}", n_pairs, a1.shape[1], dt),
                        ws("work", n_pairs, a1.shape[1], dt))
        a2 = np.matmul(s1, f2.weight.data, out=ws(f"a2.{t}", n_pairs, nf, dt))
        a2 += f2.bias.data
        w = np.multiply(a2, fc[:, None], out=ws(f"w.{t}", n_pairs, nf, dt))
        xf = h @ blk.in2f.weight.data
        m = messages(xf, w, up)
        a3 = m @ blk.f2out.weight.data
        a3 += blk.f2out.bias.data
        s3, sig3 = _ssp(a3)
        v = s3 @ blk.dense.weight.data
        v += blk.dense.bias.data
        h = h + v
        tape.append((blk, sig1, a2, w, xf, sig3))
    a4 = h @ model.out1.weight.data
    a4 += model.out1.bias.data
    s4, sig4 = _ssp(a4)
    e = (s4 @ model.out2.weight.data)[:, 0]
    e += model.out2.bias.data
    e = e * model.energy_scale + model.atom_shift.data[g.species]
    energies = cpu.scatter_add_rows(e[:, None], np.asarray(g.mol, np.int64), g.n_mol)[:, 0]

    # reverse pass: d(sum E)/dx
    gh = (sig4 * (model.out2.weight.data[:, 0] * model.energy_scale)) @ model.out1.weight.data.T
    grbf = ws("grbf", n_pairs, n_rbf, dt)
    grbf_t = ws("grbf_t", n_pairs, n_rbf, dt)
    gfc = np.zeros_like(r)
    for k, (blk, sig1, a2, w, xf, sig3) in enumerate(reversed(tape)):
        ga3 = gh @ blk.dense.weight.data.T
        ga3 *= sig3
        gm = ga3 @ blk.f2out.weight.data.T
        gxf = messages(gm, w, up)  # symmetric pairs: the transposed sweep is the same sweep
        gh = gh + gxf @ blk.in2f.weight.data.T
        ga2 = _filter_grad(gm, xf, a2, fc, up, gfc, ws("ga2", n_pairs, a2.shape[1], dt))
        ga1 = np.matmul(ga2, blk.filter2.weight.data.T, out=ws("s1", n_pairs, sig1.shape[1], dt))
        ga1 *= sig1
        np.matmul(ga1, blk.filter1.weight.data.T, out=grbf if k == 0 else grbf_t)
        if k:
            grbf += grbf_t
    grbf *= rbf
    grbf *= diff
    gr = grbf.sum(-1) * (-2.0 * model.gamma) + gfc * dfc
    gd = d * (gr / np.where(pos, r, 1.0) * pos)[:, None]
    grad = cpu.scatter_add_rows(gd, up.b, g.n_atoms)
    grad -= cpu.scatter_add_rows(gd, up.a, g.n_atoms)
    return energies, grad


def _autodiff_energy_and_gradient(model, g, x):
    params = model.parameters()
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad = False
    try:
        xt = ad.tensor(x, requires_grad=True)
        with ad.enable_grad():
            e = model.energies(g, xt)
            (gx,) = ad.autograd(e.sum(), xt)
    finally:
        for p, f in zip(params, flags, strict=True):
            p.requires_grad = f
    return e.numpy(), gx.numpy()
