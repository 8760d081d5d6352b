"""One-call execution of a whole encoded program (numba, serial): forward run and adjoint
value-and-gradient.

On small states (up to ~15 qubits) one gate costs well under a microsecond of arithmetic,
while a Python-level kernel call costs about two: the circuit is therefore encoded once
as flat arrays and run in a single compiled call, parameters bound by slot index inside
the kernel. Serial and ``nogil``: a batch of parameter sets runs on Python threads.

Op encoding (arrays of length ``n_ops``, application order), as :mod:`.cpu_block`:
``kind`` (``ops.XSWAP/DIAG/PERM/DENSE``), ``nt`` and ``tg[:, :nt]`` the targets, ``cm``
the control mask, ``nsp`` and ``sp[:, :nsp]`` the sorted targets and controls, ``moff``
the offset of the matrix (DENSE: ``d*d`` row-major; DIAG/PERM: ``d`` values) in ``cpool``,
``poff`` the offset of a PERM's permutation in ``ipool``, ``mode`` the one-qubit cheap
form (``cpu_gates.dense1_mode_of``). Parameterized ops add ``ptype`` (0 fixed, 1 "rot",
2 "phase"), ``pslot`` (slot of the angle ``t = theta[pslot]``), ``goff`` (the generator
in ``cpool``) and ``doff`` (where the derivative is written):

* ``ptype 1`` ("rot", DENSE): ``M = cos(t/2) I - i sin(t/2) P``, ``dM/dt = -sin(t/2)/2 I
  - i cos(t/2)/2 P`` with the involutory generator ``P`` (``d*d`` at ``goff``);
* ``ptype 2`` ("phase", DIAG): ``M = diag(exp(i t lam))``, ``dM/dt = i lam M`` with the
  real eigen-phases ``lam`` stored as the real parts of ``cpool[goff:goff+d]``.

Hamiltonians (grouped Pauli masks in the split form of :mod:`.cpu_expect`) are
concatenated: Hamiltonian ``h`` owns the groups ``hg0[h]:hg0[h+1]`` of ``hxg``, ``hstart``
(term offsets into the shared ``hzy``/``hcoef``), ``hcflag`` and ``hcsum``, its
tabulated diagonal ``hdiag[h]`` and skips its first ``hgf[h]`` groups (the diagonal one).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .cpu_adjoint import _step1, _step_diag
from .cpu_block import apply_encoded
from .cpu_expect import _apply_pauli_sum_split, _inner_dense, _inner_diag, _vdot
from .cpu_gates import _insert_zeros

_DIAG, _DENSE = 1, 3
_SER = dict(cache=True, fastmath=True, nogil=True)
_INL = dict(inline="always", fastmath=True)


@njit(**_SER)
def bind_program(theta, nt, ptype, pslot, goff, moff, doff, cpool):
    """Write every parameterized op's matrix and derivative into ``cpool`` at ``theta``."""
    for o in range(ptype.shape[0]):
        pt = ptype[o]
        if pt == 0:
            continue
        d = 1 << nt[o]
        t = theta[pslot[o]]
        g0 = goff[o]
        m0 = moff[o]
        d0 = doff[o]
        if pt == 1:
            c = math.cos(0.5 * t)
            s = math.sin(0.5 * t)
            for j in range(d * d):
                p = cpool[g0 + j]
                # -i P = (p.imag, -p.real)
                mip = complex(p.imag, -p.real)
                eye = 1.0 if (j // d) == (j % d) else 0.0
                cpool[m0 + j] = c * eye + s * mip
                cpool[d0 + j] = -0.5 * s * eye + 0.5 * c * mip
        else:
            for j in range(d):
                lam = cpool[g0 + j].real
                ph = complex(math.cos(t * lam), math.sin(t * lam))
                cpool[m0 + j] = ph
                cpool[d0 + j] = complex(0.0, lam) * ph


@njit(**_SER)
def run_program(v, kind, nt, tg, cm, nsp, sp, moff, poff, mode, cpool, ipool):
    """Apply every encoded op to ``v`` ``(2**n,)`` in place, in order. Serial."""
    for o in range(kind.shape[0]):
        k = nt[o]
        apply_encoded(v, kind[o], k, tg[o, :k], cm[o], sp[o, :nsp[o]], cpool, moff[o], ipool,
                      poff[o], mode[o], False)


# ----------------------------------------------------------------------------- fused steps
@njit(**_INL)
def _step_rz(psi, lam, t, g, dd):
    """Reverse step of an uncontrolled one-qubit diagonal gate (contiguous inner loops)."""
    g0 = np.conj(g[0])
    g1 = np.conj(g[1])
    e0 = dd[0]
    e1 = dd[1]
    inner = 1 << t
    outer = psi.shape[0] >> (t + 1)
    acc = 0j
    for o in range(outer):
        base = np.int64(o) << (t + 1)
        for j in range(inner):
            i0 = base + j
            i1 = i0 + inner
            a = g0 * psi[i0]
            b = g1 * psi[i1]
            psi[i0] = a
            psi[i1] = b
            la = lam[i0]
            lb = lam[i1]
            acc += np.conj(la) * (e0 * a) + np.conj(lb) * (e1 * b)
            lam[i0] = g0 * la
            lam[i1] = g1 * lb
    return acc


@njit(**_INL)
def _step1_real(psi, lam, t, cmask, spos, m, dm):
    """Reverse step of a one-qubit gate whose matrix and derivative are real (RY-like)."""
    g00 = m[0, 0].real
    g01 = m[1, 0].real
    g10 = m[0, 1].real
    g11 = m[1, 1].real
    d00 = dm[0, 0].real
    d01 = dm[0, 1].real
    d10 = dm[1, 0].real
    d11 = dm[1, 1].real
    p = spos[0]
    inner = 1 << p
    outer = (psi.shape[0] >> spos.shape[0]) >> p
    step = 1 << t
    acc = 0j
    for o in range(outer):
        base = _insert_zeros(np.int64(o) << p, spos) | cmask
        for j in range(inner):
            i0 = base + j
            i1 = i0 + step
            a = psi[i0]
            b = psi[i1]
            a2 = g00 * a + g01 * b
            b2 = g10 * a + g11 * b
            psi[i0] = a2
            psi[i1] = b2
            la = lam[i0]
            lb = lam[i1]
            acc += np.conj(la) * (d00 * a2 + d01 * b2) + np.conj(lb) * (d10 * a2 + d11 * b2)
            lam[i0] = g00 * la + g01 * lb
            lam[i1] = g10 * la + g11 * lb
    return acc


@njit(**_SER)
def _reverse_step(psi, lam, kind, k, t, cm, s, cpool, m0, d0, mode):
    """``psi <- G^dag psi``; ``<lam| D |psi>``; ``lam <- G^dag lam`` for one parameterized op."""
    d = 1 << k
    if kind == _DIAG:
        if k == 1 and cm == 0:
            return _step_rz(psi, lam, t[0], cpool[m0:m0 + 2], cpool[d0:d0 + 2])
        return _step_diag(psi, lam, t, cm, cpool[m0:m0 + d], cpool[d0:d0 + d])
    m = cpool[m0:m0 + 4].reshape((2, 2))
    dm = cpool[d0:d0 + 4].reshape((2, 2))
    if mode == 1:
        return _step1_real(psi, lam, t[0], cm, s, m, dm)
    return _step1(psi, lam, t[0], cm, s, m, dm)


# ----------------------------------------------------------------------------- value + grad
@njit(**_SER)
def value_grad_program(psi, kind, nt, tg, cm, nsp, sp, moff, poff, mode, cpool, ipool, theta,
                       ptype, pslot, goff, doff, n_slots, hxg, hstart, hzy, hcoef, hg0, hdiag,
                       hcflag, hcsum, hgf):
    """Forward run, ``<psi|H_h|psi>`` and the adjoint reverse sweep, in one call.

    Args:
        psi: initial state ``(2**n,)``, overwritten (ends as the initial state again).
        theta: slot angles ``(n_slots_total,)``; ``n_slots`` the length of the output rows.
        cpool: matrix pool, written by :func:`bind_program` (pass a private copy).

    Returns:
        ``(f[H], gs[H, n_slots])`` complex: values and slot gradients ``<lam_h| dG |psi>``
        of the Hermitian Hamiltonians (the caller takes ``2 Re gs``).
    """
    bind_program(theta, nt, ptype, pslot, goff, moff, doff, cpool)
    nops = kind.shape[0]
    for o in range(nops):
        k = nt[o]
        apply_encoded(psi, kind[o], k, tg[o, :k], cm[o], sp[o, :nsp[o]], cpool, moff[o], ipool,
                      poff[o], mode[o], False)
    n_h = hg0.shape[0] - 1
    lams = np.zeros((n_h, psi.shape[0]), dtype=psi.dtype)
    f = np.zeros(n_h, dtype=np.complex128)
    for h in range(n_h):
        a = hg0[h]
        b = hg0[h + 1]
        _apply_pauli_sum_split(psi, lams[h], hdiag[h], hxg[a:b], hstart[a:b + 1], hzy, hcoef,
                               hcflag[a:b], hcsum[a:b], hgf[h])
        f[h] = _vdot(psi, lams[h])
    gs = np.zeros((n_h, n_slots), dtype=np.complex128)
    for o in range(nops - 1, -1, -1):
        k = nt[o]
        t = tg[o, :k]
        s = sp[o, :nsp[o]]
        ko = kind[o]
        m0 = moff[o]
        if ptype[o] == 0:
            apply_encoded(psi, ko, k, t, cm[o], s, cpool, m0, ipool, poff[o], mode[o], True)
            for h in range(n_h):
                apply_encoded(lams[h], ko, k, t, cm[o], s, cpool, m0, ipool, poff[o], mode[o],
                              True)
            continue
        d0 = doff[o]
        slot = pslot[o]
        if n_h == 1 and (ko == _DIAG or k == 1):
            gs[0, slot] += _reverse_step(psi, lams[0], ko, k, t, cm[o], s, cpool, m0, d0,
                                         mode[o])
            continue
        d = 1 << k
        apply_encoded(psi, ko, k, t, cm[o], s, cpool, m0, ipool, poff[o], mode[o], True)
        for h in range(n_h):
            if ko == _DIAG:
                gs[h, slot] += _inner_diag(lams[h], psi, t, cm[o], cpool[d0:d0 + d])
            else:
                gs[h, slot] += _inner_dense(lams[h], psi, t, cm[o], s,
                                            cpool[d0:d0 + d * d].reshape((d, d)))
            apply_encoded(lams[h], ko, k, t, cm[o], s, cpool, m0, ipool, poff[o], mode[o], True)
    return f, gs
