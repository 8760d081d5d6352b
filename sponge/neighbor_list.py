"""Periodic boxes, minimum image and Verlet neighbour lists built from a cell grid.

Concepts
--------
Box
    A ``(3, 3)`` array in nm whose *rows* are the box vectors ``a, b, c`` in
    OpenMM's reduced form: ``a = (a_x, 0, 0)``, ``b = (b_x, b_y, 0)``,
    ``c = (c_x, c_y, c_z)`` with ``a_x > 0, b_y > 0, c_z > 0``,
    ``|b_x| <= a_x/2``, ``|c_x| <= a_x/2``, ``|c_y| <= b_y/2``. ``None`` means
    no periodicity.
Minimum image
    OpenMM's rule for reduced triclinic boxes: subtract ``c`` to bring the z
    component into range, then ``b`` for y, then ``a`` for x
    (:func:`minimum_image_pair`). Exact for distances below half the
    smallest box height, which is what every cutoff method requires.
Neighbour list
    For each atom ``i`` the atoms ``j`` it holds (each unordered pair once,
    excluded pairs removed) whose minimum-image distance is below
    ``cutoff + skin`` when the list was built, stored in CSR form
    (``offsets`` of shape ``(n_atoms + 1,)``, ``neighbors`` of shape
    ``(n_pairs,)``). :meth:`NeighborList.update` rebuilds automatically as soon
    as any atom has moved more than ``skin / 2`` since the last build, or the
    box changed, so every pair closer than ``cutoff`` is always in the list.

The build sorts atoms into a grid of cells whose perpendicular widths are at
least ``(cutoff + skin) / 2`` (fractional coordinates, so triclinic boxes work
the same way as rectangular ones) and searches two cells each way, skipping
cells farther than ``cutoff + skin`` from the atom and cells before its own
(each pair once), in parallel over atoms with numba. Grids of at least five
cells per direction reach across periodic faces by box-vector shifts fixed per
cell (no per-pair rounding); smaller grids use the minimum image.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "NeighborList",
    "check_box",
    "minimum_image",
    "minimum_image_pair",
    "brute_force_pairs",
    "exclusions_csr",
]


def check_box(box: np.ndarray | None, cutoff: float | None = None) -> np.ndarray | None:
    """Validate a periodic box in OpenMM's reduced triclinic form.

    Args:
        box: ``(3, 3)`` box vectors as rows, nm, or ``None``.
        cutoff: if given, the box heights ``a_x, b_y, c_z`` must be at least
            twice this distance (nm), as OpenMM requires.

    Returns:
        The box as a C-contiguous float64 ``(3, 3)`` array, or ``None``.

    Raises:
        ValueError: naming the offending component.
    """
    if box is None:
        return None
    b = np.ascontiguousarray(np.asarray(box, dtype=np.float64))
    if b.shape != (3, 3):
        raise ValueError(f"box must have shape (3, 3) (rows a, b, c in nm), got {b.shape}")
    if b[0, 1] != 0.0 or b[0, 2] != 0.0 or b[1, 2] != 0.0:
        raise ValueError(
            "box is not in reduced form: need a = (a_x, 0, 0) and b = (b_x, b_y, 0), got "
            f"a = {b[0].tolist()}, b = {b[1].tolist()}"
        )
    if b[0, 0] <= 0 or b[1, 1] <= 0 or b[2, 2] <= 0:
        raise ValueError(f"box diagonal must be positive, got {np.diag(b).tolist()}")
    tol = 1e-9
    if (
        abs(b[1, 0]) > 0.5 * b[0, 0] + tol
        or abs(b[2, 0]) > 0.5 * b[0, 0] + tol
        or abs(b[2, 1]) > 0.5 * b[1, 1] + tol
    ):
        raise ValueError(
            "box is not in reduced form: need |b_x| <= a_x/2, |c_x| <= a_x/2, |c_y| <= b_y/2, "
            f"got b_x={b[1, 0]}, c_x={b[2, 0]}, c_y={b[2, 1]} with a_x={b[0, 0]}, b_y={b[1, 1]}"
        )
    if cutoff is not None:
        small = min(b[0, 0], b[1, 1], b[2, 2])
        if small < 1.999999 * cutoff:
            raise ValueError(
                f"periodic box height {small:.6g} nm is less than twice the cutoff {cutoff} nm"
            )
    return b


@njit(cache=True, inline="always")
def minimum_image_pair(dx: float, dy: float, dz: float, box: np.ndarray) -> tuple:
    """Minimum-image displacement for one pair in a reduced triclinic box (OpenMM's rule).

    ``rint`` (round half to even) replaces OpenMM's ``floor(x + 0.5)``; the two differ
    only for a pair exactly half a box apart, far beyond any allowed cutoff.
    """
    s = np.rint(dz / box[2, 2])
    dx -= s * box[2, 0]
    dy -= s * box[2, 1]
    dz -= s * box[2, 2]
    s = np.rint(dy / box[1, 1])
    dx -= s * box[1, 0]
    dy -= s * box[1, 1]
    s = np.rint(dx / box[0, 0])
    dx -= s * box[0, 0]
    return dx, dy, dz


@njit(cache=True, inline="always")
def pair_delta(x: np.ndarray, i: int, j: int, box: np.ndarray, periodic: bool) -> tuple:
    """``(dx, dy, dz, r2)``: displacement ``x[j] - x[i]`` (minimum image when
    ``periodic``), nm, and its squared length, nm^2."""
    dx = x[j, 0] - x[i, 0]
    dy = x[j, 1] - x[i, 1]
    dz = x[j, 2] - x[i, 2]
    if periodic:
        dx, dy, dz = minimum_image_pair(dx, dy, dz, box)
    return dx, dy, dz, dx * dx + dy * dy + dz * dz


def minimum_image(delta: np.ndarray, box: np.ndarray | None) -> np.ndarray:
    """Minimum-image displacements, vectorised over rows.

    Args:
        delta: ``(..., 3)`` displacements, nm.
        box: ``(3, 3)`` reduced box (rows), nm, or ``None`` for no periodicity.

    Returns:
        ``(..., 3)`` displacements, nm.
    """
    d = np.array(delta, dtype=np.float64, copy=True)
    if box is None:
        return d
    for k in (2, 1, 0):
        s = np.floor(d[..., k] / box[k, k] + 0.5)
        d -= s[..., None] * box[k]
    return d


def exclusions_csr(n_atoms: int, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric sorted exclusion lists in CSR form.

    Args:
        n_atoms: number of atoms.
        pairs: ``(m, 2)`` int array of excluded pairs (either order, duplicates allowed).

    Returns:
        ``(offsets (n_atoms + 1,), partners (k,))`` int64; the partners of atom ``i``
        are ``partners[offsets[i]:offsets[i + 1]]`` in increasing order.
    """
    p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if p.size and (p.min() < 0 or p.max() >= n_atoms):
        bad = int(np.nonzero((p < 0) | (p >= n_atoms))[0][0])
        raise ValueError(
            f"exclusion {bad} {p[bad].tolist()} names an atom outside 0..{n_atoms - 1}"
        )
    both = np.concatenate([p, p[:, ::-1]]) if p.size else np.zeros((0, 2), np.int64)
    if both.size:
        both = np.unique(both, axis=0)
    counts = np.bincount(both[:, 0], minlength=n_atoms) if both.size else np.zeros(n_atoms, int)
    offsets = np.zeros(n_atoms + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets, np.ascontiguousarray(both[:, 1], dtype=np.int64)


def brute_force_pairs(
    positions: np.ndarray,
    box: np.ndarray | None,
    cutoff: float,
    exclusions: np.ndarray | None = None,
) -> np.ndarray:
    """All pairs ``i < j`` closer than ``cutoff`` by an O(N^2) search (for checking).

    Returns:
        ``(n_pairs, 2)`` int64 array, rows sorted lexicographically.
    """
    x = np.asarray(positions, dtype=np.float64)
    n = len(x)
    i, j = np.triu_indices(n, 1)
    d = minimum_image(x[j] - x[i], box)
    keep = np.einsum("ij,ij->i", d, d) < cutoff * cutoff
    out = np.stack([i[keep], j[keep]], axis=1).astype(np.int64)
    if exclusions is not None and len(exclusions):
        e = np.sort(np.asarray(exclusions, dtype=np.int64).reshape(-1, 2), axis=1)
        key = out[:, 0] * n + out[:, 1]
        out = out[~np.isin(key, e[:, 0] * n + e[:, 1])]
    return out


@njit(cache=True)
def _fractional(x: np.ndarray, box: np.ndarray, periodic: bool, origin: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    s = np.empty((n, 3))
    for i in range(n):
        if periodic:
            sz = x[i, 2] / box[2, 2]
            sy = (x[i, 1] - sz * box[2, 1]) / box[1, 1]
            sx = (x[i, 0] - sz * box[2, 0] - sy * box[1, 0]) / box[0, 0]
            s[i, 0] = sx - math.floor(sx)
            s[i, 1] = sy - math.floor(sy)
            s[i, 2] = sz - math.floor(sz)
        else:
            for d in range(3):
                s[i, d] = (x[i, d] - origin[d]) / box[d, d]
    return s


@njit(cache=True)
def _cell_sort(s: np.ndarray, ncell: np.ndarray) -> tuple:
    n = s.shape[0]
    nc = ncell[0] * ncell[1] * ncell[2]
    cell_of = np.empty(n, dtype=np.int64)
    counts = np.zeros(nc + 1, dtype=np.int64)
    for i in range(n):
        c = np.empty(3, dtype=np.int64)
        for d in range(3):
            k = int(s[i, d] * ncell[d])
            if k >= ncell[d]:
                k = ncell[d] - 1
            if k < 0:
                k = 0
            c[d] = k
        idx = (c[0] * ncell[1] + c[1]) * ncell[2] + c[2]
        cell_of[i] = idx
        counts[idx + 1] += 1
    for c in range(nc):
        counts[c + 1] += counts[c]
    start = counts.copy()
    fill = counts[:nc].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        c = cell_of[i]
        order[fill[c]] = i
        fill[c] += 1
    return cell_of, start, order


@njit(cache=True, inline="always")
def _is_excluded(i: int, j: int, ex_off: np.ndarray, ex: np.ndarray) -> bool:
    for k in range(ex_off[i], ex_off[i + 1]):
        e = ex[k]
        if e == j:
            return True
        if e > j:
            return False
    return False


@njit(cache=True, inline="always")
def _gap(o: int, u: float, w: float) -> float:
    """Distance from local coordinate ``u`` in [0, w) to the cell ``o`` cells away."""
    if o > 0:
        return o * w - u
    if o < 0:
        return u - (o + 1) * w
    return 0.0


@njit(cache=True, parallel=True)
def _sorted_exclusions(ex_off: np.ndarray, ex: np.ndarray, order: np.ndarray) -> tuple:
    """Exclusion CSR re-indexed into cell-sorted order (partners sorted)."""
    n = order.shape[0]
    rank = np.empty(n, dtype=np.int64)
    for k in range(n):
        rank[order[k]] = k
    off = np.zeros(n + 1, dtype=np.int64)
    for k in range(n):
        i = order[k]
        off[k + 1] = off[k] + ex_off[i + 1] - ex_off[i]
    out = np.empty(off[n], dtype=np.int64)
    for k in prange(n):
        i = order[k]
        m = 0
        for e in range(ex_off[i], ex_off[i + 1]):
            out[off[k] + m] = rank[ex[e]]
            m += 1
        out[off[k] : off[k + 1]] = np.sort(out[off[k] : off[k + 1]])
    return off, out


@njit(cache=True, parallel=True, fastmath=True)
def _build(
    xs: np.ndarray,
    box: np.ndarray,
    periodic: bool,
    r_list: float,
    ncell: np.ndarray,
    cell_of: np.ndarray,
    cell_start: np.ndarray,
    ex_off: np.ndarray,
    ex: np.ndarray,
    cap: int,
    reach: int,
    frac: np.ndarray,
    wperp: np.ndarray,
) -> tuple:
    """Half neighbour list in cell-sorted index space (all indices refer to ``xs``).

    Cells farther from atom ``i`` than ``r_list`` are skipped using the gaps between
    the atom and the cell along each fractional direction times the perpendicular
    box widths ``wperp`` (sum of squares for rectangular grids, the largest gap for
    triclinic ones: both are lower bounds of the true distance).

    Returns ``(counts, tmp)``: atom ``i`` holds ``counts[i]`` partners ``j > i`` in
    ``tmp[i, :counts[i]]``; a count above ``cap`` means the capacity was too small.
    """
    n = xs.shape[0]
    r2max = r_list * r_list
    ia = 1.0 / box[0, 0]
    ib = 1.0 / box[1, 1]
    ic = 1.0 / box[2, 2]
    rectangular = periodic and box[1, 0] == 0.0 and box[2, 0] == 0.0 and box[2, 1] == 0.0
    orthogonal = rectangular or not periodic
    counts = np.zeros(n, dtype=np.int64)
    tmp = np.empty((n, cap), dtype=np.int32)
    for i in prange(n):
        c = cell_of[i]
        cz = c % ncell[2]
        cy = (c // ncell[2]) % ncell[1]
        cx = c // (ncell[2] * ncell[1])
        xi = xs[i, 0]
        yi = xs[i, 1]
        zi = xs[i, 2]
        cnt = 0
        span = 2 * reach + 1
        all_x = periodic and ncell[0] < span
        all_y = periodic and ncell[1] < span
        all_z = periodic and ncell[2] < span
        cwx = wperp[0] / ncell[0]
        cwy = wperp[1] / ncell[1]
        cwz = wperp[2] / ncell[2]
        ux = (frac[i, 0] * ncell[0] - cx) * cwx
        uy = (frac[i, 1] * ncell[1] - cy) * cwy
        uz = (frac[i, 2] * ncell[2] - cz) * cwz
        for ax in range(ncell[0] if all_x else span):
            gx = ax if all_x else cx + ax - reach
            hx = 0.0
            if not all_x:
                if periodic:
                    gx = gx % ncell[0]
                elif gx < 0 or gx >= ncell[0]:
                    continue
                hx = _gap(ax - reach, ux, cwx)
                if hx * hx >= r2max:
                    continue
            for ay in range(ncell[1] if all_y else span):
                gy = ay if all_y else cy + ay - reach
                hy = 0.0
                if not all_y:
                    if periodic:
                        gy = gy % ncell[1]
                    elif gy < 0 or gy >= ncell[1]:
                        continue
                    hy = _gap(ay - reach, uy, cwy)
                hxy = hx * hx + hy * hy if orthogonal else max(hx * hx, hy * hy)
                if hxy >= r2max:
                    continue
                for az in range(ncell[2] if all_z else span):
                    gz = az if all_z else cz + az - reach
                    hz = 0.0
                    if not all_z:
                        if periodic:
                            gz = gz % ncell[2]
                        elif gz < 0 or gz >= ncell[2]:
                            continue
                        hz = _gap(az - reach, uz, cwz)
                    hxyz = hxy + hz * hz if orthogonal else max(hxy, hz * hz)
                    if hxyz >= r2max:
                        continue
                    g = (gx * ncell[1] + gy) * ncell[2] + gz
                    lo = max(cell_start[g], i + 1)
                    for j in range(lo, cell_start[g + 1]):
                        dx = xs[j, 0] - xi
                        dy = xs[j, 1] - yi
                        dz = xs[j, 2] - zi
                        if rectangular:
                            dx -= np.rint(dx * ia) * box[0, 0]
                            dy -= np.rint(dy * ib) * box[1, 1]
                            dz -= np.rint(dz * ic) * box[2, 2]
                        elif periodic:
                            sh = np.rint(dz * ic)
                            dx -= sh * box[2, 0]
                            dy -= sh * box[2, 1]
                            dz -= sh * box[2, 2]
                            sh = np.rint(dy * ib)
                            dx -= sh * box[1, 0]
                            dy -= sh * box[1, 1]
                            dx -= np.rint(dx * ia) * box[0, 0]
                        if dx * dx + dy * dy + dz * dz >= r2max:
                            continue
                        if _is_excluded(i, j, ex_off, ex):
                            continue
                        if cnt < cap:
                            tmp[i, cnt] = j
                        cnt += 1
        counts[i] = cnt
    return counts, tmp


@njit(cache=True, parallel=True, fastmath=True)
def _build_shifted(
    xw: np.ndarray,
    box: np.ndarray,
    periodic: bool,
    r_list: float,
    ncell: np.ndarray,
    cell_of: np.ndarray,
    cell_start: np.ndarray,
    order: np.ndarray,
    ex_off: np.ndarray,
    ex: np.ndarray,
    cap: int,
    reach: int,
    frac: np.ndarray,
    wperp: np.ndarray,
) -> tuple:
    """Like :func:`_build` for grids of at least ``2 reach + 1`` cells in every direction.

    ``xw`` are the positions wrapped into the box (``frac @ box``, sorted order). A
    neighbouring cell reached across a periodic face is searched at its image, shifted
    by whole box vectors fixed once per cell, so no per-pair rounding is needed; each
    atom is then found at most once, in the image that lies within ``r_list`` (which is
    the minimum image). Exclusions are looked up in original atom indices
    (``order``) and only for pairs inside ``r_list``. No integer division in the loops.
    """
    n = xw.shape[0]
    r2max = r_list * r_list
    rectangular = periodic and box[1, 0] == 0.0 and box[2, 0] == 0.0 and box[2, 1] == 0.0
    orthogonal = rectangular or not periodic
    nx = ncell[0]
    ny = ncell[1]
    nz = ncell[2]
    cwx = wperp[0] / nx
    cwy = wperp[1] / ny
    cwz = wperp[2] / nz
    span = 2 * reach + 1
    counts = np.zeros(n, dtype=np.int64)
    tmp = np.empty((n, cap + 1), dtype=np.int32)  # column cap: scratch for overflow
    for i in prange(n):
        c = cell_of[i]
        cz = c % nz
        cy = (c // nz) % ny
        cx = c // (nz * ny)
        xi = xw[i, 0]
        yi = xw[i, 1]
        zi = xw[i, 2]
        oi = order[i]
        e_lo = ex_off[oi]
        e_hi = ex_off[oi + 1]
        cnt = 0
        ux = (frac[i, 0] * nx - cx) * cwx
        uy = (frac[i, 1] * ny - cy) * cwy
        uz = (frac[i, 2] * nz - cz) * cwz
        for ax in range(span):
            gx = cx + ax - reach
            wx = 0
            if gx < 0:
                if not periodic:
                    continue
                gx += nx
                wx = -1
            elif gx >= nx:
                if not periodic:
                    continue
                gx -= nx
                wx = 1
            if gx < cx:  # atoms are sorted by cell: partners j > i lie in cells >= c
                continue
            hx = _gap(ax - reach, ux, cwx)
            if hx * hx >= r2max:
                continue
            for ay in range(span):
                gy = cy + ay - reach
                wy = 0
                if gy < 0:
                    if not periodic:
                        continue
                    gy += ny
                    wy = -1
                elif gy >= ny:
                    if not periodic:
                        continue
                    gy -= ny
                    wy = 1
                if gx == cx and gy < cy:
                    continue
                hy = _gap(ay - reach, uy, cwy)
                hxy = hx * hx + hy * hy if orthogonal else max(hx * hx, hy * hy)
                if hxy >= r2max:
                    continue
                for az in range(span):
                    gz = cz + az - reach
                    wz = 0
                    if gz < 0:
                        if not periodic:
                            continue
                        gz += nz
                        wz = -1
                    elif gz >= nz:
                        if not periodic:
                            continue
                        gz -= nz
                        wz = 1
                    hz = _gap(az - reach, uz, cwz)
                    hxyz = hxy + hz * hz if orthogonal else max(hxy, hz * hz)
                    if hxyz >= r2max:
                        continue
                    g = (gx * ny + gy) * nz + gz
                    lo = max(cell_start[g], i + 1)
                    hi = cell_start[g + 1]
                    if lo >= hi:
                        continue
                    # the image of cell g next to atom i, relative to atom i
                    sx = wx * box[0, 0] + wy * box[1, 0] + wz * box[2, 0] - xi
                    sy = wy * box[1, 1] + wz * box[2, 1] - yi
                    sz = wz * box[2, 2] - zi
                    for j in range(lo, hi):
                        # branch-free: always store, advance only for pairs inside r_list
                        dx = xw[j, 0] + sx
                        dy = xw[j, 1] + sy
                        dz = xw[j, 2] + sz
                        tmp[i, min(cnt, cap)] = j
                        cnt += dx * dx + dy * dy + dz * dz < r2max
        if e_hi > e_lo and cnt <= cap:
            # drop excluded partners (exclusions are looked up in original indices)
            e_min = ex[e_lo]
            e_max = ex[e_hi - 1]
            m = 0
            for k in range(cnt):
                j = tmp[i, k]
                oj = order[j]
                if oj >= e_min and oj <= e_max and _is_excluded_range(oj, ex, e_lo, e_hi):
                    continue
                tmp[i, m] = j
                m += 1
            cnt = m
        counts[i] = cnt
    return counts, tmp


@njit(cache=True, inline="always")
def _is_excluded_range(j: int, ex: np.ndarray, lo: int, hi: int) -> bool:
    """True if ``j`` is in the sorted slice ``ex[lo:hi]``."""
    for k in range(lo, hi):
        if ex[k] == j:
            return True
    return False


@njit(cache=True, parallel=True)
def _compact(counts: np.ndarray, tmp: np.ndarray) -> tuple:
    n = counts.shape[0]
    offsets = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        offsets[i + 1] = offsets[i] + counts[i]
    nbr = np.empty(offsets[n], dtype=np.int32)
    for i in prange(n):
        o = offsets[i]
        for k in range(counts[i]):
            nbr[o + k] = tmp[i, k]
    return offsets, nbr


@njit(cache=True, parallel=True)
def _max_displacement2(x: np.ndarray, x0: np.ndarray) -> float:
    n = x.shape[0]
    m = np.zeros(n)
    for i in prange(n):
        dx = x[i, 0] - x0[i, 0]
        dy = x[i, 1] - x0[i, 1]
        dz = x[i, 2] - x0[i, 2]
        m[i] = dx * dx + dy * dy + dz * dz
    return m.max() if n else 0.0


class NeighborList:
    """Verlet neighbour list (cell grid + skin) with automatic rebuild.

    Args:
        n_atoms: number of atoms.
        cutoff: interaction cutoff, nm.
        skin: Verlet buffer, nm; the list holds pairs closer than
            ``cutoff + skin`` and is rebuilt when an atom moves more than ``skin/2``.
        exclusions: ``(m, 2)`` int pairs never listed (excluded / exception pairs).
        periodic: minimum image in the box passed to :meth:`update`; if False the
            box argument is ignored and a bounding grid is used.

    Attributes:
        order: ``(n_atoms,)`` int64 cell-sorted order; sorted index ``k`` is atom
            ``order[k]``. The CSR list below is in this sorted index space, which
            keeps neighbours close in memory.
        offsets: ``(n_atoms + 1,)`` int64 CSR offsets (sorted space).
        neighbors: ``(n_pairs,)`` int32 partner sorted indices ``> k``; the partners of
            sorted atom ``k`` are ``neighbors[offsets[k]:offsets[k+1]]``.
        n_builds: number of (re)builds so far.

    Example:
        >>> nl = NeighborList(3, cutoff=1.0, skin=0.1, periodic=False)
        >>> nl.update(np.array([[0.0, 0, 0], [0.5, 0, 0], [3.0, 0, 0]]))
        True
        >>> nl.pairs().tolist()
        [[0, 1]]
    """

    def __init__(
        self,
        n_atoms: int,
        cutoff: float,
        skin: float = 0.1,
        exclusions: np.ndarray | None = None,
        periodic: bool = True,
    ) -> None:
        if cutoff <= 0:
            raise ValueError(f"neighbour list cutoff must be positive, got {cutoff} nm")
        if skin < 0:
            raise ValueError(f"neighbour list skin must be >= 0, got {skin} nm")
        self.n_atoms = int(n_atoms)
        self.cutoff = float(cutoff)
        self.skin = float(skin)
        self.periodic = bool(periodic)
        ex = np.zeros((0, 2), np.int64) if exclusions is None else exclusions
        self._ex_off, self._ex = exclusions_csr(self.n_atoms, ex)
        self.order = np.arange(self.n_atoms, dtype=np.int64)
        self.offsets = np.zeros(self.n_atoms + 1, dtype=np.int64)
        self.neighbors = np.zeros(0, dtype=np.int32)
        self.n_builds = 0
        self._x0: np.ndarray | None = None
        self._box0: np.ndarray | None = None

    def needs_rebuild(self, positions: np.ndarray, box: np.ndarray | None = None) -> bool:
        """True if the list must be rebuilt for these positions (nm) and box (nm)."""
        if self._x0 is None:
            return True
        if self.periodic and (box is None or not np.array_equal(box, self._box0)):
            return True
        half = 0.5 * self.skin
        if self.n_atoms < 2000:  # numpy: no parallel launch cost every step
            if self.n_atoms == 0:
                return False
            d = positions - self._x0
            return float(np.einsum("ij,ij->i", d, d).max()) > half * half
        return _max_displacement2(positions, self._x0) > half * half

    def update(self, positions: np.ndarray, box: np.ndarray | None = None) -> bool:
        """Rebuild the list if needed.

        Args:
            positions: ``(n_atoms, 3)`` float64, nm.
            box: ``(3, 3)`` reduced box, nm (required when periodic).

        Returns:
            True if the list was rebuilt.
        """
        x = np.ascontiguousarray(positions, dtype=np.float64)
        if x.shape != (self.n_atoms, 3):
            raise ValueError(f"positions must have shape ({self.n_atoms}, 3), got {x.shape}")
        if self.periodic and box is None:
            raise ValueError("a periodic neighbour list needs the box (3, 3) in nm")
        if not self.needs_rebuild(x, box):
            return False
        self.build(x, box)
        return True

    def build(self, positions: np.ndarray, box: np.ndarray | None = None) -> None:
        """Rebuild unconditionally (see :meth:`update` for the arguments)."""
        x = np.ascontiguousarray(positions, dtype=np.float64)
        r_list = self.cutoff + self.skin
        if self.periodic:
            b = check_box(box)
            vol = b[0, 0] * b[1, 1] * b[2, 2]
            widths = np.array(
                [
                    vol / np.linalg.norm(np.cross(b[1], b[2])),
                    vol / np.linalg.norm(np.cross(b[2], b[0])),
                    b[2, 2],
                ]
            )
            if widths.min() < 2 * self.cutoff * 0.999999:
                raise ValueError(
                    f"periodic box width {widths.min():.6g} nm is less than twice the "
                    f"neighbour-list cutoff {self.cutoff} nm"
                )
            origin = np.zeros(3)
            grid_box = b
        else:
            lo = x.min(axis=0) if len(x) else np.zeros(3)
            hi = x.max(axis=0) if len(x) else np.zeros(3)
            origin = lo
            span = np.maximum(hi - lo, 1e-6) * (1 + 1e-9)
            widths = span
            grid_box = np.diag(span)
        reach = 2  # cells of width >= r_list / reach, searched reach cells each way
        ncell = np.maximum(1, np.floor(widths * reach / r_list)).astype(np.int64)
        # cap the total number of cells (huge sparse vacuum systems)
        while np.prod(ncell) > max(8 * self.n_atoms, 125):
            ncell = np.maximum(1, ncell // 2)
        s = _fractional(x, grid_box, self.periodic, origin)
        cell_of, start, order = _cell_sort(s, ncell)
        xs = np.ascontiguousarray(x[order])
        frac_sorted = np.ascontiguousarray(s[order])
        widths = np.ascontiguousarray(widths, dtype=np.float64)
        box_arr = grid_box if self.periodic else np.eye(3)
        # a grid of at least 2 reach + 1 cells each way (or no periodicity) is searched
        # with per-cell image shifts; smaller periodic grids scan all cells by minimum image
        shifted = not self.periodic or int(ncell.min()) >= 2 * reach + 1
        if shifted:
            xw = np.ascontiguousarray(frac_sorted @ grid_box) if self.periodic else xs
        else:
            ex_off, ex = _sorted_exclusions(self._ex_off, self._ex, order)
        cell_sorted = np.ascontiguousarray(cell_of[order])
        n_cells = int(np.prod(ncell))
        density = self.n_atoms / max(float(np.prod(widths)), 1e-12)
        # an atom early in cell order can hold nearly all its neighbours (j > i)
        cap = int(1.3 * density * 4.0 * np.pi / 3.0 * r_list**3) + 32
        cap = min(cap, max(self.n_atoms, 1))
        while True:
            if shifted:
                counts, tmp = _build_shifted(
                    xw,
                    box_arr,
                    self.periodic,
                    r_list,
                    ncell,
                    cell_sorted,
                    start,
                    order,
                    self._ex_off,
                    self._ex,
                    cap,
                    reach,
                    frac_sorted,
                    widths,
                )
                worst = int(counts.max()) if self.n_atoms else 0
                if worst <= cap:
                    break
                cap = worst
                continue
            counts, tmp = _build(
                xs,
                box_arr,
                self.periodic,
                r_list,
                ncell,
                cell_sorted,
                start,
                ex_off,
                ex,
                cap,
                reach,
                frac_sorted,
                widths,
            )
            worst = int(counts.max()) if self.n_atoms else 0
            if worst <= cap:
                break
            cap = worst
        self.offsets, self.neighbors = _compact(counts, tmp)
        self.order = order
        self.n_cells = n_cells
        self._x0 = x.copy()
        self._box0 = None if box is None else np.array(box, dtype=np.float64)
        self.n_builds += 1

    def pairs(self) -> np.ndarray:
        """The listed pairs in original atom indices, ``(n_pairs, 2)`` int64, ``i < j``, sorted."""
        counts = np.diff(self.offsets)
        i = np.repeat(np.arange(self.n_atoms, dtype=np.int64), counts)
        p = np.stack([self.order[i], self.order[self.neighbors.astype(np.int64)]], axis=1)
        p.sort(axis=1)
        return p[np.lexsort((p[:, 1], p[:, 0]))]
