"""Smooth particle-mesh Ewald: reciprocal-space Coulomb energy and forces.

Smooth PME (Essmann et al., J. Chem. Phys. 103, 8577 (1995)) with cardinal
B-splines of order 5 (OpenMM's choice). Charges are spread on an
``(n_x, n_y, n_z)`` grid in fractional coordinates, transformed with a real
FFT (``scipy.fft``, multi-threaded, plans cached by scipy), multiplied by the
influence function

    G(m) = (1/(4 pi eps0)) exp(-pi^2 |m|^2 / alpha^2) / (pi V |m|^2 B(m)),

with ``B`` the product of the B-spline moduli (zero moduli replaced by the mean
of their neighbours, as OpenMM and GROMACS do), and transformed back; the
energy is ``E = 1/2 sum_m G(m) |S(m)|^2`` and the force on atom ``i`` is
``-q_i grad(theta_i) . (G * Q)``. ``m`` runs over reciprocal-lattice vectors
(1/nm, no 2 pi factor) of the triclinic box. The self energy and the
neutralising-plasma term for a net charge live in :func:`ewald_self_energy`.

Units: nm, kJ/mol, e. Buffers and the influence function are reused between
calls; the influence function is recomputed only when the box changes.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from numba import get_num_threads, njit, prange

from .parameters import EPSILON0, ONE_4PI_EPS0

PME_ORDER = 5


def ewald_self_energy(charges: np.ndarray, alpha: float, volume: float) -> float:
    """Ewald self energy plus the neutralising-background term, kJ/mol.

    ``-k alpha/sqrt(pi) sum q_i^2 - Q^2/(8 eps0 V alpha^2)`` with ``k = 1/(4 pi eps0)``.
    """
    q = np.asarray(charges, dtype=np.float64)
    total = q.sum()
    return float(
        -ONE_4PI_EPS0 * alpha / math.sqrt(math.pi) * np.dot(q, q)
        - total * total / (8.0 * EPSILON0 * volume * alpha * alpha)
    )


@njit(cache=True, inline="always")
def _bspline(w: float, order: int, data: np.ndarray, ddata: np.ndarray) -> None:
    """Weights ``M_n(w + n - 1 - k)`` (k = 0..n-1) and their derivatives in ``w``."""
    data[order - 1] = 0.0
    data[1] = w
    data[0] = 1.0 - w
    for k in range(3, order):
        div = 1.0 / (k - 1.0)
        data[k - 1] = div * w * data[k - 2]
        for m in range(1, k - 1):
            data[k - m - 1] = div * ((w + m) * data[k - m - 2] + (k - m - w) * data[k - m - 1])
        data[0] = div * (1.0 - w) * data[0]
    ddata[0] = -data[0]
    for k in range(1, order):
        ddata[k] = data[k - 1] - data[k]
    div = 1.0 / (order - 1)
    data[order - 1] = div * w * data[order - 2]
    for m in range(1, order - 1):
        data[order - m - 1] = div * (
            (w + m) * data[order - m - 2] + (order - m - w) * data[order - m - 1]
        )
    data[0] = div * (1.0 - w) * data[0]


def bspline_moduli(n: int, order: int = PME_ORDER) -> np.ndarray:
    """``|sum_k M_order(k+1) exp(2 pi i m k / n)|^2`` for m = 0..n-1, zeros patched."""
    data = np.zeros(order)
    ddata = np.zeros(order)
    _bspline(0.0, order, data, ddata)
    vals = np.zeros(n)
    vals[1 : order + 1 if order + 1 <= n else n] = data[: min(order, n - 1)]
    m = np.arange(n)
    arg = 2.0 * np.pi * np.outer(m, np.arange(n)) / n
    mod = (vals * np.cos(arg)).sum(1) ** 2 + (vals * np.sin(arg)).sum(1) ** 2
    for i in range(n):
        if mod[i] < 1e-7:
            mod[i] = 0.5 * (mod[(i - 1 + n) % n] + mod[(i + 1) % n])
    return mod


@njit(cache=True, parallel=True)
def _spline_setup(x: np.ndarray, recip: np.ndarray, grid: np.ndarray, order: int) -> tuple:
    """Grid base index (n, 3) and spline weights/derivatives (n, 3, order)."""
    n = x.shape[0]
    idx = np.empty((n, 3), dtype=np.int64)
    theta = np.empty((n, 3, order))
    dtheta = np.empty((n, 3, order))
    for i in prange(n):
        data = np.empty(order)
        ddata = np.empty(order)
        for d in range(3):
            t = x[i, 0] * recip[0, d] + x[i, 1] * recip[1, d] + x[i, 2] * recip[2, d]
            t = (t - math.floor(t)) * grid[d]
            ti = int(t)
            if ti >= grid[d]:
                ti = grid[d] - 1
            _bspline(t - ti, order, data, ddata)
            idx[i, d] = ti
            for k in range(order):
                theta[i, d, k] = data[k]
                dtheta[i, d, k] = ddata[k]
    return idx, theta, dtheta


@njit(cache=True, parallel=True)
def _spread(
    q: np.ndarray,
    idx: np.ndarray,
    theta: np.ndarray,
    out: np.ndarray,
    nslab: int,
) -> None:
    """Spread charges on the grid; parallel over x-slabs, each thread owns its planes."""
    n = q.shape[0]
    nx, ny, nz = out.shape
    order = theta.shape[2]
    out[:] = 0.0
    for s in prange(nslab):
        lo = s * nx // nslab
        hi = (s + 1) * nx // nslab
        for i in range(n):
            qi = q[i]
            if qi == 0.0:
                continue
            for a in range(order):
                gx = idx[i, 0] + a
                if gx >= nx:
                    gx -= nx
                if gx < lo or gx >= hi:
                    continue
                wa = qi * theta[i, 0, a]
                for b in range(order):
                    gy = idx[i, 1] + b
                    if gy >= ny:
                        gy -= ny
                    wab = wa * theta[i, 1, b]
                    for c in range(order):
                        gz = idx[i, 2] + c
                        if gz >= nz:
                            gz -= nz
                        out[gx, gy, gz] += wab * theta[i, 2, c]


@njit(cache=True, parallel=True)
def _gather(
    q: np.ndarray,
    idx: np.ndarray,
    theta: np.ndarray,
    dtheta: np.ndarray,
    conv: np.ndarray,
    recip: np.ndarray,
    forces: np.ndarray,
) -> None:
    """forces[i] = -q_i sum_k conv(k) grad theta_i(k) (overwrites ``forces``)."""
    n = q.shape[0]
    nx, ny, nz = conv.shape
    order = theta.shape[2]
    for i in prange(n):
        fx = 0.0
        fy = 0.0
        fz = 0.0
        qi = q[i]
        if qi != 0.0:
            for a in range(order):
                gx = idx[i, 0] + a
                if gx >= nx:
                    gx -= nx
                for b in range(order):
                    gy = idx[i, 1] + b
                    if gy >= ny:
                        gy -= ny
                    t_ab = theta[i, 0, a] * theta[i, 1, b]
                    d_ab = dtheta[i, 0, a] * theta[i, 1, b]
                    t_db = theta[i, 0, a] * dtheta[i, 1, b]
                    for c in range(order):
                        gz = idx[i, 2] + c
                        if gz >= nz:
                            gz -= nz
                        v = conv[gx, gy, gz]
                        fx += v * d_ab * theta[i, 2, c]
                        fy += v * t_db * theta[i, 2, c]
                        fz += v * t_ab * dtheta[i, 2, c]
        # d/dr of fractional grid coordinate u_d = n_d (r . recip[:, d])
        gx_ = fx * nx
        gy_ = fy * ny
        gz_ = fz * nz
        for e in range(3):
            forces[i, e] = -qi * (gx_ * recip[e, 0] + gy_ * recip[e, 1] + gz_ * recip[e, 2])


@njit(cache=True, parallel=True)
def _convolve(sk: np.ndarray, g: np.ndarray, wz: np.ndarray) -> float:
    """Multiply the half-spectrum by G in place; return sum_m G |S|^2 over the full grid."""
    nx, ny, nzh = sk.shape
    part = np.zeros(nx)
    for a in prange(nx):
        acc = 0.0
        for b in range(ny):
            for c in range(nzh):
                v = sk[a, b, c]
                gv = g[a, b, c]
                acc += wz[c] * gv * (v.real * v.real + v.imag * v.imag)
                sk[a, b, c] = v * gv
        part[a] = acc
    return part.sum()


class PMEReciprocal:
    """Reciprocal-space part of smooth PME for a fixed set of charges.

    Args:
        charges: ``(n,)`` charges, e.
        alpha: Ewald splitting parameter, 1/nm.
        grid: ``(n_x, n_y, n_z)`` mesh dimensions.
        order: B-spline interpolation order (OpenMM uses 5).
        workers: threads for scipy.fft (default: numba's thread count).
    """

    def __init__(
        self,
        charges: np.ndarray,
        alpha: float,
        grid: tuple[int, int, int],
        order: int = PME_ORDER,
        workers: int | None = None,
    ) -> None:
        self.charges = np.ascontiguousarray(charges, dtype=np.float64)
        self.alpha = float(alpha)
        self.grid = tuple(int(g) for g in grid)
        if min(self.grid) < order:
            raise ValueError(f"PME grid {self.grid} is smaller than the spline order {order}")
        self.order = int(order)
        self.workers = workers
        self._moduli = [bspline_moduli(n, order) for n in self.grid]
        self._mesh = np.zeros(self.grid)
        self._box: np.ndarray | None = None
        self._g: np.ndarray | None = None
        nz = self.grid[2]
        wz = np.full(nz // 2 + 1, 2.0)
        wz[0] = 1.0
        if nz % 2 == 0:
            wz[-1] = 1.0
        self._wz = wz

    def _influence(self, box: np.ndarray) -> np.ndarray:
        nx, ny, nz = self.grid
        recip = np.linalg.inv(box)  # columns are reciprocal vectors: s = r @ recip
        mx = np.fft.fftfreq(nx, 1.0 / nx)
        my = np.fft.fftfreq(ny, 1.0 / ny)
        mz = np.arange(nz // 2 + 1, dtype=np.float64)
        # m = mx b1* + my b2* + mz b3*, with b_d* the d-th column of recip
        m = (
            mx[:, None, None, None] * recip[:, 0]
            + my[None, :, None, None] * recip[:, 1]
            + mz[None, None, :, None] * recip[:, 2]
        )
        m2 = np.einsum("abcd,abcd->abc", m, m)
        m2[0, 0, 0] = 1.0
        vol = box[0, 0] * box[1, 1] * box[2, 2]
        bmod = (
            self._moduli[0][:, None, None]
            * self._moduli[1][None, :, None]
            * self._moduli[2][None, None, : nz // 2 + 1]
        )
        g = ONE_4PI_EPS0 * np.exp(-(math.pi**2) * m2 / self.alpha**2) / (math.pi * vol * m2 * bmod)
        g[0, 0, 0] = 0.0
        return np.ascontiguousarray(g)

    def energy_forces(self, positions: np.ndarray, box: np.ndarray) -> tuple[float, np.ndarray]:
        """Reciprocal energy (kJ/mol) and forces ``(n, 3)`` (kJ/mol/nm).

        Args:
            positions: ``(n, 3)`` float64 positions, nm.
            box: ``(3, 3)`` reduced box (rows), nm.
        """
        if self._box is None or not np.array_equal(box, self._box):
            self._g = self._influence(box)
            self._box = np.array(box, dtype=np.float64)
            self._recip = np.ascontiguousarray(np.linalg.inv(box))
        x = np.ascontiguousarray(positions, dtype=np.float64)
        grid = np.array(self.grid, dtype=np.int64)
        idx, theta, dtheta = _spline_setup(x, self._recip, grid, self.order)
        nslab = min(self.grid[0], 4 * get_num_threads())
        _spread(self.charges, idx, theta, self._mesh, nslab)
        workers = self.workers if self.workers is not None else get_num_threads()
        sk = scipy.fft.rfftn(self._mesh, workers=workers, overwrite_x=False)
        esum = _convolve(sk, self._g, self._wz)
        ntot = self.grid[0] * self.grid[1] * self.grid[2]
        conv = scipy.fft.irfftn(sk, s=self.grid, workers=workers, overwrite_x=True)
        conv *= ntot
        forces = np.empty_like(x)
        _gather(self.charges, idx, theta, dtheta, conv, self._recip, forces)
        return 0.5 * esum, forces
