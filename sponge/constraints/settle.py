"""SETTLE: analytic constraints of rigid 3-site water (Miyamoto & Kollman 1992).

A water is three atoms ``(O, H1, H2)`` with fixed O-H distance ``d_oh`` and
H-H distance ``d_hh``; H1 and H2 have equal mass. :func:`settle_positions`
takes reference positions that satisfy the constraints and new unconstrained
positions, and moves the new positions onto the constraint surface along the
reference bond directions (the exact SHAKE solution, found in closed form).
:func:`settle_velocities` removes the velocity components along the three
bonds (the RATTLE velocity stage), solving the 3x3 linear system exactly.

Reference: S. Miyamoto, P. A. Kollman, J. Comput. Chem. 13, 952 (1992).
Shapes: positions and velocities ``(n_atoms, 3)`` nm, nm/ps; ``waters``
``(n_waters, 3)`` int atom indices (O, H1, H2).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def settle_positions(ref, new, waters, m_o, m_h, d_oh, d_hh):
    """Constrain ``new`` in place (SETTLE); ``ref`` satisfies the constraints.

    Args:
        ref: ``(n, 3)`` reference positions, nm.
        new: ``(n, 3)`` unconstrained positions, modified in place, nm.
        waters: ``(n_w, 3)`` int (O, H1, H2).
        m_o, m_h: ``(n_w,)`` masses of O and H, amu.
        d_oh, d_hh: ``(n_w,)`` distances, nm.

    Returns:
        -1 on success, else the index of the first water that could not be settled.
    """
    bad = -1
    for w in range(waters.shape[0]):
        ia, ib, ic = waters[w, 0], waters[w, 1], waters[w, 2]
        mo, mh = m_o[w], m_h[w]
        wt = mo + 2.0 * mh
        rc = 0.5 * d_hh[w]
        h = math.sqrt(d_oh[w] * d_oh[w] - rc * rc)
        ra = 2.0 * mh * h / wt
        rb = h - ra
        # reference bond vectors relative to O
        xb0 = ref[ib, 0] - ref[ia, 0]
        yb0 = ref[ib, 1] - ref[ia, 1]
        zb0 = ref[ib, 2] - ref[ia, 2]
        xc0 = ref[ic, 0] - ref[ia, 0]
        yc0 = ref[ic, 1] - ref[ia, 1]
        zc0 = ref[ic, 2] - ref[ia, 2]
        # new positions relative to their centre of mass
        cx = (mo * new[ia, 0] + mh * (new[ib, 0] + new[ic, 0])) / wt
        cy = (mo * new[ia, 1] + mh * (new[ib, 1] + new[ic, 1])) / wt
        cz = (mo * new[ia, 2] + mh * (new[ib, 2] + new[ic, 2])) / wt
        xa1 = new[ia, 0] - cx
        ya1 = new[ia, 1] - cy
        za1 = new[ia, 2] - cz
        xb1 = new[ib, 0] - cx
        yb1 = new[ib, 1] - cy
        zb1 = new[ib, 2] - cz
        xc1 = new[ic, 0] - cx
        yc1 = new[ic, 1] - cy
        zc1 = new[ic, 2] - cz
        # frame: Z normal to the reference plane, X perpendicular to Z and the new O
        zx = yb0 * zc0 - zb0 * yc0
        zy = zb0 * xc0 - xb0 * zc0
        zz = xb0 * yc0 - yb0 * xc0
        xx = ya1 * zz - za1 * zy
        xy = za1 * zx - xa1 * zz
        xz = xa1 * zy - ya1 * zx
        yx = zy * xz - zz * xy
        yy = zz * xx - zx * xz
        yz = zx * xy - zy * xx
        nx = math.sqrt(xx * xx + xy * xy + xz * xz)
        ny = math.sqrt(yx * yx + yy * yy + yz * yz)
        nz = math.sqrt(zx * zx + zy * zy + zz * zz)
        if nx == 0.0 or ny == 0.0 or nz == 0.0:
            if bad < 0:
                bad = w
            continue
        xx /= nx
        xy /= nx
        xz /= nx
        yx /= ny
        yy /= ny
        yz /= ny
        zx /= nz
        zy /= nz
        zz /= nz
        # coordinates in the frame
        xb0d = xx * xb0 + xy * yb0 + xz * zb0
        yb0d = yx * xb0 + yy * yb0 + yz * zb0
        xc0d = xx * xc0 + xy * yc0 + xz * zc0
        yc0d = yx * xc0 + yy * yc0 + yz * zc0
        za1d = zx * xa1 + zy * ya1 + zz * za1
        xb1d = xx * xb1 + xy * yb1 + xz * zb1
        yb1d = yx * xb1 + yy * yb1 + yz * zb1
        zb1d = zx * xb1 + zy * yb1 + zz * zb1
        xc1d = xx * xc1 + xy * yc1 + xz * zc1
        yc1d = yx * xc1 + yy * yc1 + yz * zc1
        zc1d = zx * xc1 + zy * yc1 + zz * zc1
        sinphi = za1d / ra
        t = 1.0 - sinphi * sinphi
        if t <= 0.0:
            if bad < 0:
                bad = w
            continue
        cosphi = math.sqrt(t)
        sinpsi = (zb1d - zc1d) / (2.0 * rc * cosphi)
        t = 1.0 - sinpsi * sinpsi
        if t <= 0.0:
            if bad < 0:
                bad = w
            continue
        cospsi = math.sqrt(t)
        ya2d = ra * cosphi
        xb2d = -rc * cospsi
        t1 = -rb * cosphi
        t2 = rc * sinpsi * sinphi
        yb2d = t1 - t2
        yc2d = t1 + t2
        alpha = xb2d * (xb0d - xc0d) + yb0d * yb2d + yc0d * yc2d
        beta = xb2d * (yc0d - yb0d) + xb0d * yb2d + xc0d * yc2d
        gamma = xb0d * yb1d - xb1d * yb0d + xc0d * yc1d - xc1d * yc0d
        ab2 = alpha * alpha + beta * beta
        t = ab2 - gamma * gamma
        if t < 0.0:
            if bad < 0:
                bad = w
            continue
        sinthe = (alpha * gamma - beta * math.sqrt(t)) / ab2
        costhe = math.sqrt(1.0 - sinthe * sinthe)
        xa3d = -ya2d * sinthe
        ya3d = ya2d * costhe
        za3d = za1d
        xb3d = xb2d * costhe - yb2d * sinthe
        yb3d = xb2d * sinthe + yb2d * costhe
        zb3d = zb1d
        xc3d = -xb2d * costhe - yc2d * sinthe
        yc3d = -xb2d * sinthe + yc2d * costhe
        zc3d = zc1d
        # back to the lab frame (transpose of the rotation)
        new[ia, 0] = cx + xx * xa3d + yx * ya3d + zx * za3d
        new[ia, 1] = cy + xy * xa3d + yy * ya3d + zy * za3d
        new[ia, 2] = cz + xz * xa3d + yz * ya3d + zz * za3d
        new[ib, 0] = cx + xx * xb3d + yx * yb3d + zx * zb3d
        new[ib, 1] = cy + xy * xb3d + yy * yb3d + zy * zb3d
        new[ib, 2] = cz + xz * xb3d + yz * yb3d + zz * zb3d
        new[ic, 0] = cx + xx * xc3d + yx * yc3d + zx * zc3d
        new[ic, 1] = cy + xy * xc3d + yy * yc3d + zy * zc3d
        new[ic, 2] = cz + xz * xc3d + yz * yc3d + zz * zc3d
    return bad


@njit(cache=True)
def settle_velocities(pos, vel, waters, inv_mass):
    """Remove bond-direction relative velocities of each rigid water (in place, exact).

    Solves the 3x3 system ``A lam = -b`` for the Lagrange multipliers of the
    three constraints (O-H1, O-H2, H1-H2) and applies ``v_i += inv_m_i * sum lam_k
    s_ik r_k``, after which ``r_k . (v_i - v_j) = 0`` for every bond.
    """
    for w in range(waters.shape[0]):
        a0, a1, a2 = waters[w, 0], waters[w, 1], waters[w, 2]
        ii = (a0, a0, a1)
        jj = (a1, a2, a2)
        r = np.empty((3, 3))
        b = np.empty(3)
        for k in range(3):
            i = ii[k]
            j = jj[k]
            s = 0.0
            for d in range(3):
                r[k, d] = pos[i, d] - pos[j, d]
                s += r[k, d] * (vel[i, d] - vel[j, d])
            b[k] = -s
        # A[k, l] = r_k . r_l * (w_i(k) s_{i(k) l} - w_j(k) s_{j(k) l})
        a = np.zeros((3, 3))
        for k in range(3):
            for m in range(3):
                c = 0.0
                if ii[k] == ii[m]:
                    c += inv_mass[ii[k]]
                if ii[k] == jj[m]:
                    c -= inv_mass[ii[k]]
                if jj[k] == ii[m]:
                    c -= inv_mass[jj[k]]
                if jj[k] == jj[m]:
                    c += inv_mass[jj[k]]
                if c != 0.0:
                    a[k, m] = c * (r[k, 0] * r[m, 0] + r[k, 1] * r[m, 1] + r[k, 2] * r[m, 2])
        det = (a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
               - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
               + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]))
        lam0 = (b[0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
                - a[0, 1] * (b[1] * a[2, 2] - a[1, 2] * b[2])
                + a[0, 2] * (b[1] * a[2, 1] - a[1, 1] * b[2])) / det
        lam1 = (a[0, 0] * (b[1] * a[2, 2] - a[1, 2] * b[2])
                - b[0] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
                + a[0, 2] * (a[1, 0] * b[2] - b[1] * a[2, 0])) / det
        lam2 = (a[0, 0] * (a[1, 1] * b[2] - b[1] * a[2, 1])
                - a[0, 1] * (a[1, 0] * b[2] - b[1] * a[2, 0])
                + b[0] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])) / det
        for d in range(3):
            vel[a0, d] += inv_mass[a0] * (lam0 * r[0, d] + lam1 * r[1, d])
            vel[a1, d] += inv_mass[a1] * (-lam0 * r[0, d] + lam2 * r[2, d])
            vel[a2, d] += inv_mass[a2] * (-lam1 * r[1, d] - lam2 * r[2, d])
