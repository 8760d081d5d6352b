"""numba kernels for the density-matrix backend.

A density matrix ``rho`` of ``n`` qubits, shape ``(2**n, 2**n)``, is handled as
its row-major flattening ``v = rho.reshape(-1)``, a vector over ``2 n`` "bits":
bit ``q`` of the flat index is bit ``q`` of the column index, bit ``q + n`` is
bit ``q`` of the row index. Then

* ``U rho`` is ``U`` applied to the row bits ``targets + n`` of ``v``;
* ``rho U^dagger`` is ``conj(U)`` applied to the column bits ``targets``;
* a channel ``sum_i K_i rho K_i^dagger`` is its superoperator
  ``sum_i K_i (x) conj(K_i)`` applied to the bits ``[targets, targets + n]``
  (local index ``c + 2**k r``), in one pass.

Kernels (all in place, ``parallel=True`` over chunks of the index space, one
chunk per thread; ``tq`` the local qubit order, ``tq[0]`` least significant;
``spos`` the ascending positions of targets and controls; ``cmask`` the control
bits that must be set):

* :func:`apply_dense`: ``v <- M v`` on ``tq`` (1, 2 and k local qubits);
* :func:`apply_diag`: ``v[i] *= d[local(i)]`` where the controls are set;
* :func:`trace_dense`: ``sum_i conj(o[i]) (M v)[i]``, i.e. ``Tr(O^dagger M rho)``,
  the gradient contraction (zero outside the controls);
* :func:`adjoint_step1`: un-apply a one-qubit gate from ``rho`` and ``O`` and contract
  the gradient term, in one pass;
* :func:`depolarize`: ``rho <- (1-p) rho + p I/2**k (x) Tr_targets(rho)``
  for any ``k`` (the fast path of ``DepolarizingChannel``, no ``4**k`` Kraus set).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from quantum.kernels.cpu_gates import _insert_zeros, _offsets  # shared index helpers

_INL = dict(inline="always", fastmath=True)
_PAR = dict(cache=True, fastmath=True, nogil=True, parallel=True)

#: below this many work items a kernel runs on one thread (thread hand-off costs more)
SERIAL_BELOW = 1 << 14


@njit(**_INL)
def _n_chunks(total, nth):
    if total < SERIAL_BELOW or nth < 1:
        return 1
    return nth if nth < total else total


@njit(**_PAR)
def apply_dense(v, tq, spos, cmask, m, nth):
    """``v <- M v`` on local qubits ``tq`` where every bit of ``cmask`` is set.

    Args:
        v: ``(2**N,)`` complex vector (a flattened density matrix), changed in place.
        tq: ``(k,)`` int64 bit positions of the local basis (``tq[0]`` least significant).
        spos: ascending int64 positions of ``tq`` and the control bits.
        cmask: control bits (int).
        m: ``(2**k, 2**k)`` complex matrix (any matrix, not only unitaries).
    """
    k = tq.shape[0]
    d = 1 << k
    total = v.shape[0] >> spos.shape[0]
    off = _offsets(tq)
    nch = _n_chunks(total, nth)
    size = (total + nch - 1) // nch
    if k == 1:
        m00, m01, m10, m11 = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
        o1 = off[1]
        for c in prange(nch):
            for i in range(c * size, min(total, (c + 1) * size)):
                b = _insert_zeros(i, spos) | cmask
                a0 = v[b]
                a1 = v[b + o1]
                v[b] = m00 * a0 + m01 * a1
                v[b + o1] = m10 * a0 + m11 * a1
        return
    if k == 2:
        o1, o2, o3 = off[1], off[2], off[3]
        for c in prange(nch):
            for i in range(c * size, min(total, (c + 1) * size)):
                b = _insert_zeros(i, spos) | cmask
                a0 = v[b]
                a1 = v[b + o1]
                a2 = v[b + o2]
                a3 = v[b + o3]
                v[b] = m[0, 0] * a0 + m[0, 1] * a1 + m[0, 2] * a2 + m[0, 3] * a3
                v[b + o1] = m[1, 0] * a0 + m[1, 1] * a1 + m[1, 2] * a2 + m[1, 3] * a3
                v[b + o2] = m[2, 0] * a0 + m[2, 1] * a1 + m[2, 2] * a2 + m[2, 3] * a3
                v[b + o3] = m[3, 0] * a0 + m[3, 1] * a1 + m[3, 2] * a2 + m[3, 3] * a3
        return
    for c in prange(nch):
        buf = np.empty(d, dtype=v.dtype)
        for i in range(c * size, min(total, (c + 1) * size)):
            b = _insert_zeros(i, spos) | cmask
            for a in range(d):
                buf[a] = v[b + off[a]]
            for a in range(d):
                s = 0j
                for j in range(d):
                    s += m[a, j] * buf[j]
                v[b + off[a]] = s


@njit(**_PAR)
def apply_diag(v, tq, cmask, dvals, nth):
    """``v[i] *= dvals[local(i)]`` for every ``i`` with the ``cmask`` bits set.

    Args:
        v: ``(2**N,)`` complex vector, changed in place.
        tq: ``(k,)`` int64 bit positions of the local basis.
        cmask: control bits.
        dvals: ``(2**k,)`` complex diagonal.
    """
    k = tq.shape[0]
    total = v.shape[0]
    nch = _n_chunks(total, nth)
    size = (total + nch - 1) // nch
    for c in prange(nch):
        for i in range(c * size, min(total, (c + 1) * size)):
            if (i & cmask) != cmask:
                continue
            loc = 0
            for m in range(k):
                loc |= ((i >> tq[m]) & 1) << m
            v[i] *= dvals[loc]


@njit(**_PAR)
def trace_dense(o, v, tq, spos, cmask, m, nth):
    """``sum_i conj(o[i]) (M v)[i]`` over the indices with the ``cmask`` bits set.

    With ``o`` and ``v`` flattened matrices and ``M`` acting on row bits this is
    ``Tr(O^dagger P_c M rho)`` (``P_c`` the projector on the set controls).

    Returns:
        complex.
    """
    k = tq.shape[0]
    d = 1 << k
    total = v.shape[0] >> spos.shape[0]
    off = _offsets(tq)
    nch = _n_chunks(total, nth)
    size = (total + nch - 1) // nch
    part = np.zeros(nch, dtype=np.complex128)
    for c in prange(nch):
        acc = 0j
        for i in range(c * size, min(total, (c + 1) * size)):
            b = _insert_zeros(i, spos) | cmask
            for a in range(d):
                s = 0j
                for j in range(d):
                    s += m[a, j] * v[b + off[j]]
                acc += np.conj(o[b + off[a]]) * s
        part[c] = acc
    return part.sum()


@njit(**_PAR)
def adjoint_step1(rho, o, t_col, t_row, spos, s_inv, dm, nth):
    """Fused reverse-sweep step of an uncontrolled one-qubit gate (one memory pass).

    Un-applies the gate from ``rho`` and ``o`` with ``s_inv`` (the ``4x4`` operand of
    ``G^dagger . G`` on the bits ``[t_col, t_row]``, local index ``c + 2 r``) and returns
    ``sum_i conj(o'[i]) (D_rows rho')[i] = Tr(O'^dagger D rho')`` with ``D = dm`` (``2x2``)
    on the row bit.
    """
    total = rho.shape[0] >> 2
    o1 = 1 << t_col
    o2 = 1 << t_row
    o3 = o1 | o2
    d00, d01, d10, d11 = dm[0, 0], dm[0, 1], dm[1, 0], dm[1, 1]
    nch = _n_chunks(total, nth)
    size = (total + nch - 1) // nch
    part = np.zeros(nch, dtype=np.complex128)
    for c in prange(nch):
        acc = 0j
        for i in range(c * size, min(total, (c + 1) * size)):
            b = _insert_zeros(i, spos)
            a0, a1, a2, a3 = rho[b], rho[b + o1], rho[b + o2], rho[b + o3]
            r0 = s_inv[0, 0] * a0 + s_inv[0, 1] * a1 + s_inv[0, 2] * a2 + s_inv[0, 3] * a3
            r1 = s_inv[1, 0] * a0 + s_inv[1, 1] * a1 + s_inv[1, 2] * a2 + s_inv[1, 3] * a3
            r2 = s_inv[2, 0] * a0 + s_inv[2, 1] * a1 + s_inv[2, 2] * a2 + s_inv[2, 3] * a3
            r3 = s_inv[3, 0] * a0 + s_inv[3, 1] * a1 + s_inv[3, 2] * a2 + s_inv[3, 3] * a3
            rho[b], rho[b + o1], rho[b + o2], rho[b + o3] = r0, r1, r2, r3
            a0, a1, a2, a3 = o[b], o[b + o1], o[b + o2], o[b + o3]
            q0 = s_inv[0, 0] * a0 + s_inv[0, 1] * a1 + s_inv[0, 2] * a2 + s_inv[0, 3] * a3
            q1 = s_inv[1, 0] * a0 + s_inv[1, 1] * a1 + s_inv[1, 2] * a2 + s_inv[1, 3] * a3
            q2 = s_inv[2, 0] * a0 + s_inv[2, 1] * a1 + s_inv[2, 2] * a2 + s_inv[2, 3] * a3
            q3 = s_inv[3, 0] * a0 + s_inv[3, 1] * a1 + s_inv[3, 2] * a2 + s_inv[3, 3] * a3
            o[b], o[b + o1], o[b + o2], o[b + o3] = q0, q1, q2, q3
            acc += (np.conj(q0) * (d00 * r0 + d01 * r2) + np.conj(q1) * (d00 * r1 + d01 * r3)
                    + np.conj(q2) * (d10 * r0 + d11 * r2) + np.conj(q3) * (d10 * r1 + d11 * r3))
        part[c] = acc
    return part.sum()


@njit(**_PAR)
def adjoint_step1_diag(rho, o, t_col, t_row, spos, s_inv, dm, nth):
    """:func:`adjoint_step1` for a diagonal gate: ``s_inv`` ``(4,)`` and ``dm`` ``(2,)`` are
    diagonals (4 multiplications per element instead of 16)."""
    total = rho.shape[0] >> 2
    o1 = 1 << t_col
    o2 = 1 << t_row
    o3 = o1 | o2
    s0, s1, s2, s3 = s_inv[0], s_inv[1], s_inv[2], s_inv[3]
    d0, d1 = dm[0], dm[1]
    nch = _n_chunks(total, nth)
    size = (total + nch - 1) // nch
    part = np.zeros(nch, dtype=np.complex128)
    for c in prange(nch):
        acc = 0j
        for i in range(c * size, min(total, (c + 1) * size)):
            b = _insert_zeros(i, spos)
            r0, r1, r2, r3 = s0 * rho[b], s1 * rho[b + o1], s2 * rho[b + o2], s3 * rho[b + o3]
            rho[b], rho[b + o1], rho[b + o2], rho[b + o3] = r0, r1, r2, r3
            q0, q1, q2, q3 = s0 * o[b], s1 * o[b + o1], s2 * o[b + o2], s3 * o[b + o3]
            o[b], o[b + o1], o[b + o2], o[b + o3] = q0, q1, q2, q3
            acc += (d0 * (np.conj(q0) * r0 + np.conj(q1) * r1)
                    + d1 * (np.conj(q2) * r2 + np.conj(q3) * r3))
        part[c] = acc
    return part.sum()


@njit(**_PAR)
def depolarize(v, tq_col, tq_row, spos, p, nth):
    """Depolarize the target qubits: ``rho <- (1-p) rho + p I/2**k (x) Tr_t(rho)``.

    Args:
        v: flattened ``(4**n,)`` density matrix, changed in place.
        tq_col: ``(k,)`` int64 column bit positions of the targets (= the qubits).
        tq_row: ``(k,)`` int64 row bit positions (= qubits + n).
        spos: ascending positions of ``tq_col`` and ``tq_row`` together.
        p: depolarizing probability (MindQuantum's definition; ``p > 1`` allowed).
    """
    k = tq_col.shape[0]
    d = 1 << k
    total = v.shape[0] >> spos.shape[0]
    offc = _offsets(tq_col)
    offr = _offsets(tq_row)
    keep = 1.0 - p
    mix = p / d
    nch = _n_chunks(total, nth)
    size = (total + nch - 1) // nch
    for c in prange(nch):
        for i in range(c * size, min(total, (c + 1) * size)):
            b = _insert_zeros(i, spos)
            s = 0j
            for a in range(d):
                s += v[b + offc[a] + offr[a]]
            for ar in range(d):
                for ac in range(d):
                    v[b + offr[ar] + offc[ac]] *= keep
            add = mix * s
            for a in range(d):
                v[b + offc[a] + offr[a]] += add


@njit(**_PAR)
def diag_real(v, n):
    """The real diagonal of the flattened ``(2**n, 2**n)`` matrix ``v`` (probabilities)."""
    dim = 1 << n
    out = np.empty(dim, dtype=np.float64)
    for i in prange(dim):
        out[i] = v[i * dim + i].real
    return out
