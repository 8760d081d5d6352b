"""numba CPU kernels for Pauli sums and gradient inner products.

A Pauli string ``P`` on ``n`` qubits is encoded by two bit masks: ``x`` (the
qubits carrying X or Y) and ``zy`` (the qubits carrying Z or Y), plus the
number of Y factors. Then ``(P phi)[i] = (-i)**n_y * (-1)**popcount(i & zy) *
phi[i ^ x]``: one pass, no matrix. A Hamiltonian ``sum_t c_t P_t`` is stored
grouped by ``x`` mask: group ``g`` holds terms ``start[g]:start[g+1]`` with
masks ``zy[t]`` and coefficients ``coef[t]`` (``(-i)**n_y`` already folded
in), so ``(H phi)[i] = sum_g phi[i ^ x[g]] * sum_{t in g} coef[t] *
(-1)**popcount(i & zy[t])``.

Gradient inner products ``<lam| D |psi>`` for a gate derivative ``D`` acting
on ``targets`` under the control mask ``cmask`` (zero outside the controlled
subspace) are computed in one pass without forming ``D|psi>``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_INL = dict(inline="always", fastmath=True)
_SER = dict(cache=True, fastmath=True, nogil=True)
_PAR = dict(cache=True, fastmath=True, nogil=True, parallel=True)


@njit(**_INL)
def _parity(x):
    """Parity of the set bits of a non-negative int64."""
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    x ^= x >> 4
    x ^= x >> 2
    x ^= x >> 1
    return x & 1


@njit(**_INL)
def _ham_coef(i, g, start, zy, coef):
    acc = 0j
    for t in range(start[g], start[g + 1]):
        if _parity(i & zy[t]):
            acc -= coef[t]
        else:
            acc += coef[t]
    return acc


# ----------------------------------------------------------------------------- H |phi>
@njit(**_INL)
def _apply_pauli_sum(phi, out, xg, start, zy, coef):
    n = phi.shape[0]
    ng = xg.shape[0]
    for ii in prange(n):
        i = np.int64(ii)
        acc = 0j
        for g in range(ng):
            acc += _ham_coef(i, g, start, zy, coef) * phi[i ^ xg[g]]
        out[i] = acc


@njit(**_SER)
def apply_pauli_sum_ser(phi, out, xg, start, zy, coef):
    """``out = H phi`` for a grouped Pauli sum (see module docstring). Serial."""
    _apply_pauli_sum(phi, out, xg, start, zy, coef)


@njit(**_PAR)
def apply_pauli_sum_par(phi, out, xg, start, zy, coef):
    """Parallel version of :func:`apply_pauli_sum_ser`."""
    _apply_pauli_sum(phi, out, xg, start, zy, coef)


# ----------------------------------------------------------------------------- H |phi>, split form
# The diagonal group (``x = 0``: products of Z) is tabulated once as ``diag[i]`` when
# ``g_first`` is 1 (``g_first`` 0: no table, every group summed term by term); a group
# whose terms carry no Z/Y (``cflag[g]``) has the constant coefficient ``csum[g]``. Then
# ``(H phi)[i] = diag[i] phi[i] + sum_{g >= g_first} c_g(i) phi[i ^ x[g]]`` costs one
# multiply-add per group instead of a parity per term.
@njit(**_INL)
def _apply_pauli_sum_split(phi, out, diag, xg, start, zy, coef, cflag, csum, g_first):
    n = phi.shape[0]
    ng = xg.shape[0]
    for ii in prange(n):
        i = np.int64(ii)
        acc = diag[i] * phi[i] if g_first else 0j
        for g in range(g_first, ng):
            if cflag[g]:
                acc += csum[g] * phi[i ^ xg[g]]
            else:
                acc += _ham_coef(i, g, start, zy, coef) * phi[i ^ xg[g]]
        out[i] = acc


@njit(**_SER)
def apply_pauli_sum_split_ser(phi, out, diag, xg, start, zy, coef, cflag, csum, g_first):
    """``out = H phi`` with a tabulated diagonal (see above). Serial."""
    _apply_pauli_sum_split(phi, out, diag, xg, start, zy, coef, cflag, csum, g_first)


@njit(**_PAR)
def apply_pauli_sum_split_par(phi, out, diag, xg, start, zy, coef, cflag, csum, g_first):
    """Parallel version of :func:`apply_pauli_sum_split_ser`."""
    _apply_pauli_sum_split(phi, out, diag, xg, start, zy, coef, cflag, csum, g_first)


@njit(cache=True, fastmath=True, nogil=True, parallel=True)
def pauli_diagonal(n_amp, zy, coef, out):
    """``out[i] = sum_t coef[t] (-1)**popcount(i & zy[t])``: the diagonal of a sum of Z
    products, ``(n_amp,)`` complex."""
    for ii in prange(n_amp):
        i = np.int64(ii)
        acc = 0j
        for t in range(zy.shape[0]):
            if _parity(i & zy[t]):
                acc -= coef[t]
            else:
                acc += coef[t]
        out[i] = acc


# ----------------------------------------------------------------------------- <psi| H |phi>
@njit(**_INL)
def _expect_pauli_sum(psi, phi, xg, start, zy, coef):
    n = phi.shape[0]
    ng = xg.shape[0]
    re = 0.0
    im = 0.0
    for ii in prange(n):
        i = np.int64(ii)
        acc = 0j
        for g in range(ng):
            acc += _ham_coef(i, g, start, zy, coef) * phi[i ^ xg[g]]
        z = np.conj(psi[i]) * acc
        re += z.real
        im += z.imag
    return re + 1j * im


@njit(**_SER)
def expect_pauli_sum_ser(psi, phi, xg, start, zy, coef):
    """``<psi| H |phi>`` in one pass for a grouped Pauli sum. Serial."""
    return _expect_pauli_sum(psi, phi, xg, start, zy, coef)


@njit(**_PAR)
def expect_pauli_sum_par(psi, phi, xg, start, zy, coef):
    """Parallel version of :func:`expect_pauli_sum_ser`."""
    return _expect_pauli_sum(psi, phi, xg, start, zy, coef)


# ----------------------------------------------------------------------------- <a|b>
@njit(**_INL)
def _vdot(a, b):
    re = 0.0
    im = 0.0
    for ii in prange(a.shape[0]):
        z = np.conj(a[ii]) * b[ii]
        re += z.real
        im += z.imag
    return re + 1j * im


@njit(**_SER)
def vdot_ser(a, b):
    """``<a|b> = sum conj(a) b``. Serial."""
    return _vdot(a, b)


@njit(**_PAR)
def vdot_par(a, b):
    """Parallel version of :func:`vdot_ser`."""
    return _vdot(a, b)


# ----------------------------------------------------------------------------- <lam| D |psi>
@njit(**_INL)
def _inner_dense(lam, psi, targets, cmask, spos, d):
    k = targets.shape[0]
    dim = 1 << k
    off = np.zeros(dim, dtype=np.int64)
    for j in range(dim):
        o = 0
        for m in range(k):
            if (j >> m) & 1:
                o |= 1 << targets[m]
        off[j] = o
    nblock = lam.shape[0] >> spos.shape[0]
    re = 0.0
    im = 0.0
    for ii in prange(nblock):
        i = np.int64(ii)
        for p in spos:
            low = i & ((1 << p) - 1)
            i = ((i >> p) << (p + 1)) | low
        base = i | cmask
        acc = 0j
        for r in range(dim):
            row = 0j
            for c in range(dim):
                row += d[r, c] * psi[base + off[c]]
            acc += np.conj(lam[base + off[r]]) * row
        re += acc.real
        im += acc.imag
    return re + 1j * im


@njit(**_SER)
def inner_dense_ser(lam, psi, targets, cmask, spos, d):
    """``<lam| C(D) |psi>`` with ``D`` on ``targets``, zero outside controls. Serial."""
    return _inner_dense(lam, psi, targets, cmask, spos, d)


@njit(**_PAR)
def inner_dense_par(lam, psi, targets, cmask, spos, d):
    """Parallel version of :func:`inner_dense_ser`."""
    return _inner_dense(lam, psi, targets, cmask, spos, d)


@njit(**_INL)
def _inner_diag(lam, psi, targets, cmask, d):
    k = targets.shape[0]
    re = 0.0
    im = 0.0
    for ii in prange(lam.shape[0]):
        i = np.int64(ii)
        if (i & cmask) == cmask:
            j = 0
            for m in range(k):
                j |= ((i >> targets[m]) & 1) << m
            z = np.conj(lam[i]) * d[j] * psi[i]
            re += z.real
            im += z.imag
    return re + 1j * im


@njit(**_SER)
def inner_diag_ser(lam, psi, targets, cmask, d):
    """``<lam| C(diag d) |psi>``, zero outside the controlled subspace. Serial."""
    return _inner_diag(lam, psi, targets, cmask, d)


@njit(**_PAR)
def inner_diag_par(lam, psi, targets, cmask, d):
    """Parallel version of :func:`inner_diag_ser`."""
    return _inner_diag(lam, psi, targets, cmask, d)
