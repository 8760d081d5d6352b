"""Direct-space pair kernels: Lennard-Jones + Coulomb, exceptions, Ewald exclusions.

Per-pair formulas (``k = 1/(4 pi eps0)``, ``r`` in nm, energies kJ/mol):

- Lennard-Jones, Lorentz-Berthelot: ``4 eps_ij ((s/r)^12 - (s/r)^6)`` with
  ``s = (s_i + s_j)/2``, ``eps_ij = sqrt(eps_i eps_j)``; optionally multiplied by
  the switch ``S(t) = 1 - 10 t^3 + 15 t^4 - 6 t^5``,
  ``t = (r - r_sw)/(r_c - r_sw)`` for ``r > r_sw``;
- Coulomb, by ``mode``: 0 plain ``k q_i q_j / r``; 1 reaction field
  ``k q_i q_j (1/r + k_rf r^2 - c_rf)``; 2 Ewald real space
  ``k q_i q_j erfc(alpha r)/r``;
- exceptions (1-4 pairs): plain ``k q_ij / r`` and ``4 eps_ij (...)`` with their
  own parameters, no cutoff;
- Ewald/PME exclusion correction for every exception pair:
  ``-k q_i q_j erf(alpha r)/r`` (limit ``-k q_i q_j 2 alpha/sqrt(pi)`` at r -> 0).

The pair kernel walks a CSR neighbour list (see :mod:`sponge.neighbor_list`)
and is fused: one pass returns LJ energy, Coulomb energy and forces. Per atom it
gathers the partners' rows into contiguous scratch, evaluates all pairs in a
branch-free loop that LLVM vectorises (minimum image, masks instead of the
cutoff test; division and square root dominate, and vectorised they stop
being latency-bound), then adds the tabulated Ewald erfc (a table gather, kept
scalar) and scatters the forces. It runs in parallel over chunks of atoms
balanced by pair count, each chunk writing its own force buffer (no atomics),
reduced at the end. It is compiled for float64 and,
when given float32 arrays, for float32 (energies are always summed in float64).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special
from numba import njit, prange

from ..neighbor_list import pair_delta

MODE_PLAIN = 0
MODE_REACTION_FIELD = 1
MODE_EWALD = 2

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def chunk_bounds(offsets: np.ndarray, n_chunks: int) -> np.ndarray:
    """Atom-index boundaries ``(n_chunks + 1,)`` splitting a CSR list into equal pair counts."""
    total = offsets[-1]
    targets = np.linspace(0, total, n_chunks + 1)
    b = np.searchsorted(offsets, targets, side="left").astype(np.int64)
    b[0] = 0
    b[-1] = len(offsets) - 1
    return np.maximum.accumulate(b)


def erfc_table(x_max: float, n_intervals: int = 1024) -> tuple[np.ndarray, float]:
    """Cubic-Hermite tables of ``erfc(x)`` and ``erfc(x) + 2x exp(-x^2)/sqrt(pi)`` on [0, x_max].

    Returns:
        ``(table (n_intervals + 1, 8), 1/h)``: row ``k`` holds the power-basis
        coefficients ``a + b t + c t^2 + d t^3`` (``t`` in [0, 1)) of both functions
        on ``[k h, (k+1) h]``. The interpolation error bound h^4/384 max|f^(4)| is
        about 1e-12 for the default size and ``x_max`` up to about 4 (villin: the
        direct-space energy moves by 3e-13 relative against libm erfc); 1024
        rows (64 KiB) stay in the L2 cache.
    """
    h = x_max / n_intervals
    x = np.arange(n_intervals + 2) * h
    ex = np.exp(-x * x)
    f = scipy.special.erfc(x)
    df = -_TWO_OVER_SQRT_PI * ex
    g = f + _TWO_OVER_SQRT_PI * x * ex
    dg = -2.0 * _TWO_OVER_SQRT_PI * x * x * ex
    tab = np.zeros((n_intervals + 1, 8))
    for col, (v, d) in enumerate(((f, df), (g, dg))):
        v0, v1 = v[:-1], v[1:]
        d0, d1 = d[:-1] * h, d[1:] * h
        tab[:, 4 * col + 0] = v0
        tab[:, 4 * col + 1] = d0
        tab[:, 4 * col + 2] = 3.0 * (v1 - v0) - 2.0 * d0 - d1
        tab[:, 4 * col + 3] = 2.0 * (v0 - v1) + d0 + d1
    return tab, 1.0 / h


@njit(cache=True, inline="always")
def add_pair_force(forces: np.ndarray, i: int, j: int, fs: float, dx: float, dy: float,
                   dz: float) -> None:
    """``forces[j] += fs * d``, ``forces[i] -= fs * d`` for ``d = x[j] - x[i]`` (kJ/mol/nm)."""
    forces[i, 0] -= fs * dx
    forces[i, 1] -= fs * dy
    forces[i, 2] -= fs * dz
    forces[j, 0] += fs * dx
    forces[j, 1] += fs * dy
    forces[j, 2] += fs * dz


@njit(cache=True, parallel=True)
def pack(x: np.ndarray, params: np.ndarray, order: np.ndarray, out: np.ndarray) -> None:
    """``out[k] = (x[order[k]], params[k])``: positions and parameters in sorted order."""
    n = order.shape[0]
    for k in prange(n):
        i = order[k]
        out[k, 0] = x[i, 0]
        out[k, 1] = x[i, 1]
        out[k, 2] = x[i, 2]
        out[k, 3] = params[k, 0]
        out[k, 4] = params[k, 1]
        out[k, 5] = params[k, 2]


@njit(cache=True, parallel=True, fastmath=True)
def pair_kernel(
    p: np.ndarray,
    offsets: np.ndarray,
    nbr: np.ndarray,
    bounds: np.ndarray,
    box: np.ndarray,
    periodic: bool,
    mode: int,
    cutoff: float,
    alpha: float,
    krf: float,
    crf: float,
    switch_distance: float,
    table: np.ndarray,
    inv_h: float,
    fbuf: np.ndarray,
) -> tuple:
    """Fused LJ + Coulomb over a neighbour list.

    Args:
        p: ``(n, 8)`` packed rows ``(x, y, z, q sqrt(k), sigma/2, 2 sqrt(eps), 0, 0)``
            (nm, e, kJ/mol) in neighbour-list (sorted) order; float64 or float32.
        offsets, nbr: CSR neighbour list over rows of ``p``.
        bounds: ``(n_chunks + 1,)`` row ranges handled by each parallel chunk.
        box: ``(3, 3)`` reduced box; used when ``periodic``.
        mode: 0 plain Coulomb, 1 reaction field, 2 Ewald real space (tabulated erfc).
        cutoff: nm (a huge finite value for none: fastmath forbids inf).
        switch_distance: nm, or < 0 for no switch.
        table, inv_h: from :func:`erfc_table` (mode 2).
        fbuf: ``(n_chunks, n, 3)`` scratch force buffers (overwritten), dtype of ``p``.

    Returns:
        ``(e_lj, e_coulomb)`` in kJ/mol; the forces (kJ/mol/nm) are ``fbuf.sum(0)``.
    """
    n_chunks = bounds.shape[0] - 1
    elj = np.zeros(n_chunks)
    ecoul = np.zeros(n_chunks)
    consts, scratch = _kernel_setup(
        p,
        offsets,
        n_chunks,
        box,
        periodic,
        mode,
        cutoff,
        alpha,
        krf,
        crf,
        switch_distance,
        table,
        inv_h,
    )
    for c in prange(n_chunks):
        elj[c], ecoul[c] = _pair_chunk(c, p, offsets, nbr, bounds, fbuf, scratch, mode, consts)
    return elj.sum(), ecoul.sum()


@njit(cache=True, fastmath=True)
def pair_kernel_serial(
    p: np.ndarray,
    offsets: np.ndarray,
    nbr: np.ndarray,
    bounds: np.ndarray,
    box: np.ndarray,
    periodic: bool,
    mode: int,
    cutoff: float,
    alpha: float,
    krf: float,
    crf: float,
    switch_distance: float,
    table: np.ndarray,
    inv_h: float,
    fbuf: np.ndarray,
) -> tuple:
    """:func:`pair_kernel` without the thread pool (small systems: no parallel launch cost)."""
    n_chunks = bounds.shape[0] - 1
    elj = np.zeros(n_chunks)
    ecoul = np.zeros(n_chunks)
    consts, scratch = _kernel_setup(
        p,
        offsets,
        n_chunks,
        box,
        periodic,
        mode,
        cutoff,
        alpha,
        krf,
        crf,
        switch_distance,
        table,
        inv_h,
    )
    for c in range(n_chunks):
        elj[c], ecoul[c] = _pair_chunk(c, p, offsets, nbr, bounds, fbuf, scratch, mode, consts)
    return elj.sum(), ecoul.sum()


@njit(cache=True)
def _kernel_setup(
    p,
    offsets,
    n_chunks,
    box,
    periodic,
    mode,
    cutoff,
    alpha,
    krf,
    crf,
    switch_distance,
    table,
    inv_h,
):
    """Per-call constants of :func:`pair_kernel` (in the dtype of ``p``) and scratch."""
    n = p.shape[0]
    dt = p.dtype.type
    cut2 = dt(cutoff * cutoff)
    use_sw = switch_distance >= 0.0
    # no switch: t = max(r - rsw, 0) * 0 = 0 gives S = 1, S' = 0 exactly
    rsw = dt(switch_distance if use_sw else 0.0)
    inv_sw_w = dt(1.0 / (cutoff - switch_distance) if use_sw else 0.0)
    # one minimum-image formula for all boxes: rectangular boxes have zero off-diagonals,
    # no periodicity zero inverse heights (no shift)
    bx = box.astype(p.dtype) if periodic else np.zeros((3, 3), dtype=p.dtype)
    ia = dt(1.0 / box[0, 0] if periodic else 0.0)
    ib = dt(1.0 / box[1, 1] if periodic else 0.0)
    ic = dt(1.0 / box[2, 2] if periodic else 0.0)
    tab = table.astype(p.dtype)
    a_h = dt(alpha * inv_h)
    krf_ = dt(krf)
    crf_ = dt(crf)
    n_tab = table.shape[0] - 1
    longest = 0
    for i in range(n):
        longest = max(longest, offsets[i + 1] - offsets[i])
    # one scratch block per chunk, allocated here: numba hoists allocations out of prange
    # bodies, which would make them shared between threads
    scratch = np.empty((n_chunks, 9, longest), dtype=p.dtype)
    consts = (bx, ia, ib, ic, cut2, rsw, inv_sw_w, tab, a_h, n_tab, krf_, crf_)
    return consts, scratch


@njit(cache=True, fastmath=True)
def _pair_chunk(c, p, offsets, nbr, bounds, fbuf, scratch, mode, consts):
    """Rows ``bounds[c]:bounds[c + 1]`` of :func:`pair_kernel` into ``fbuf[c]``; (e_lj, e_c)."""
    bx, ia, ib, ic, cut2, rsw, inv_sw_w, tab, a_h, n_tab, krf_, crf_ = consts
    n = p.shape[0]
    zero = p.dtype.type(0.0)
    ewald = mode == 2
    f = fbuf[c]
    for i in range(n):
        f[i, 0] = zero
        f[i, 1] = zero
        f[i, 2] = zero
    # per-atom scratch: gathered displacements and partner parameters, then the
    # pair force scalar; the middle loop has no stores to shared rows and no
    # branches, so it vectorises
    sc = scratch[c]
    dxs = sc[0]
    dys = sc[1]
    dzs = sc[2]
    qjs = sc[3]
    sjs = sc[4]
    ejs = sc[5]
    fss = sc[6]
    rs = sc[7]
    irs = sc[8]
    e_lj = 0.0
    e_c = 0.0
    for i in range(bounds[c], bounds[c + 1]):
        xi = p[i, 0]
        yi = p[i, 1]
        zi = p[i, 2]
        qi = p[i, 3]
        k0 = offsets[i]
        m = offsets[i + 1] - k0
        for k in range(m):
            j = nbr[k0 + k]
            dxs[k] = p[j, 0] - xi
            dys[k] = p[j, 1] - yi
            dzs[k] = p[j, 2] - zi
            qjs[k] = p[j, 3]
            sjs[k] = p[j, 4]
            ejs[k] = p[j, 5]
        vl, vc = _pair_block(
            m,
            dxs,
            dys,
            dzs,
            qjs,
            sjs,
            ejs,
            fss,
            rs,
            irs,
            qi,
            p[i, 4],
            p[i, 5],
            bx,
            ia,
            ib,
            ic,
            mode,
            cut2,
            rsw,
            inv_sw_w,
            krf_,
            crf_,
        )
        e_lj += vl
        e_c += vc
        fxi = zero
        fyi = zero
        fzi = zero
        for k in range(m):
            j = nbr[k0 + k]
            fsc = fss[k]
            if ewald:
                qq = qi * qjs[k]
                u = a_h * rs[k]
                mm = min(int(u), n_tab - 1)
                t = u - mm
                erfc_ar = tab[mm, 0] + t * (tab[mm, 1] + t * (tab[mm, 2] + t * tab[mm, 3]))
                g = tab[mm, 4] + t * (tab[mm, 5] + t * (tab[mm, 6] + t * tab[mm, 7]))
                inv_r = irs[k]
                e_c += qq * erfc_ar * inv_r
                fsc += qq * g * inv_r * inv_r * inv_r
            fx = fsc * dxs[k]
            fy = fsc * dys[k]
            fz = fsc * dzs[k]
            fxi -= fx
            fyi -= fy
            fzi -= fz
            f[j, 0] += fx
            f[j, 1] += fy
            f[j, 2] += fz
        f[i, 0] += fxi
        f[i, 1] += fyi
        f[i, 2] += fzi
    return e_lj, e_c


@njit(cache=True, fastmath=True, error_model="numpy")
def _pair_block(
    m,
    dxs,
    dys,
    dzs,
    qjs,
    sjs,
    ejs,
    fss,
    rs,
    irs,
    qi,
    si,
    ei,
    bx,
    ia,
    ib,
    ic,
    mode,
    cut2,
    rsw,
    inv_sw_w,
    krf,
    crf,
):
    """Energies and force scalars of one atom's ``m`` listed pairs (see :func:`pair_kernel`).

    Overwrites ``dxs, dys, dzs`` with minimum-image displacements (nm) and writes the
    force scalar ``F/r`` (kJ/mol/nm^2, zero beyond the cutoff) into ``fss``. Returns
    ``(e_lj, e_coulomb)`` in kJ/mol. Branch-free per pair so that the loops vectorise.
    """
    dt = dxs.dtype.type
    one = dt(1.0)
    zero = dt(0.0)
    two = dt(2.0)
    c6 = dt(6.0)
    c12 = dt(12.0)
    c10 = dt(10.0)
    c15 = dt(15.0)
    c30 = dt(30.0)
    c60 = dt(60.0)
    e_lj = 0.0
    e_c = 0.0
    for k in range(m):
        dx = dxs[k]
        dy = dys[k]
        dz = dzs[k]
        s = np.rint(dz * ic)
        dx -= s * bx[2, 0]
        dy -= s * bx[2, 1]
        dz -= s * bx[2, 2]
        s = np.rint(dy * ib)
        dx -= s * bx[1, 0]
        dy -= s * bx[1, 1]
        s = np.rint(dx * ia)
        dx -= s * bx[0, 0]
        dxs[k] = dx
        dys[k] = dy
        dzs[k] = dz
        r2 = dx * dx + dy * dy + dz * dz
        inside = r2 < cut2
        r2 = r2 if inside else cut2  # keeps masked lanes finite and inside the table
        inv_r2 = one / r2
        inv_r = math.sqrt(inv_r2)
        r = r2 * inv_r
        eps = ei * ejs[k]
        sig = si + sjs[k]
        sr2 = sig * sig * inv_r2
        sr6 = sr2 * sr2 * sr2
        vlj = eps * (sr6 - one) * sr6
        flj = eps * (c12 * sr6 - c6) * sr6 * inv_r2
        t = max(r - rsw, zero) * inv_sw_w
        sw = one + t * t * t * (-c10 + t * (c15 - t * c6))
        dsw = t * t * (-c30 + t * (c60 - t * c30)) * inv_sw_w
        flj = flj * sw - vlj * dsw * inv_r
        vlj = vlj * sw
        qq = qi * qjs[k]
        # Ewald (mode 2): the tabulated erfc needs a gather that does not vectorise, so
        # the caller adds it; here r and 1/r are left in dxs' companions (rs, irs) and
        # qjs is zeroed beyond the cutoff
        if mode == 1:
            vc = qq * (inv_r + krf * r2 - crf)
            fc = qq * (inv_r * inv_r2 - two * krf)
        elif mode == 0:
            vc = qq * inv_r
            fc = qq * inv_r * inv_r2
        else:
            vc = zero
            fc = zero
        rs[k] = r
        irs[k] = inv_r
        qjs[k] = qjs[k] if inside else zero
        e_lj += vlj if inside else zero
        e_c += vc if inside else zero
        fss[k] = flj + fc if inside else zero
    return e_lj, e_c


@njit(cache=True, parallel=True)
def reduce_forces(fbuf: np.ndarray, order: np.ndarray, out: np.ndarray) -> None:
    """``out[order[k]] = sum_c fbuf[c, k]`` in float64, parallel over atoms."""
    n_chunks = fbuf.shape[0]
    n = fbuf.shape[1]
    for k in prange(n):
        a = 0.0
        b = 0.0
        c = 0.0
        for m in range(n_chunks):
            a += fbuf[m, k, 0]
            b += fbuf[m, k, 1]
            c += fbuf[m, k, 2]
        i = order[k]
        out[i, 0] = a
        out[i, 1] = b
        out[i, 2] = c


@njit(cache=True)
def exception_kernel(
    x: np.ndarray,
    pairs: np.ndarray,
    chargeprod: np.ndarray,
    sigma: np.ndarray,
    epsilon: np.ndarray,
    q: np.ndarray,
    box: np.ndarray,
    periodic: bool,
    coulomb_k: float,
    alpha: float,
    forces: np.ndarray,
) -> tuple:
    """Exceptions (plain LJ + Coulomb with their own parameters) and Ewald exclusion terms.

    Args:
        x: ``(n, 3)`` float64 positions, nm.
        pairs: ``(m, 2)`` exception atom pairs. chargeprod (e^2), sigma (nm),
            epsilon (kJ/mol): ``(m,)`` exception parameters.
        q: ``(n,)`` particle charges, e (for the exclusion correction).
        periodic: minimum image for these pairs (OpenMM's
            ``exceptionsUsePeriodicBoundaryConditions``).
        alpha: Ewald alpha (1/nm), or 0 for no exclusion correction.
        forces: ``(n, 3)`` float64, accumulated into.

    Returns:
        ``(e_lj, e_coulomb)``, kJ/mol.
    """
    e_lj = 0.0
    e_c = 0.0
    for k in range(pairs.shape[0]):
        i = pairs[k, 0]
        j = pairs[k, 1]
        dx, dy, dz, r2 = pair_delta(x, i, j, box, periodic)
        r = math.sqrt(r2)
        fscal = 0.0
        cp = chargeprod[k]
        eps = epsilon[k]
        if cp != 0.0 or eps != 0.0:
            inv_r2 = 1.0 / r2
            inv_r = 1.0 / r
            sig = sigma[k]
            sr2 = sig * sig * inv_r2
            sr6 = sr2 * sr2 * sr2
            e_lj += 4.0 * eps * (sr6 - 1.0) * sr6
            e_c += coulomb_k * cp * inv_r
            fscal += 4.0 * eps * (12.0 * sr6 - 6.0) * sr6 * inv_r2
            fscal += coulomb_k * cp * inv_r * inv_r2
        if alpha > 0.0:
            qq = coulomb_k * q[i] * q[j]
            ar = alpha * r
            erf_ar = math.erf(ar)
            if erf_ar > 1e-6:
                inv_r = 1.0 / r
                e_c -= qq * erf_ar * inv_r
                fscal -= qq * (erf_ar - _TWO_OVER_SQRT_PI * ar * math.exp(-ar * ar)) * inv_r**3
            else:
                e_c -= qq * alpha * _TWO_OVER_SQRT_PI
        add_pair_force(forces, i, j, fscal, dx, dy, dz)
    return e_lj, e_c
