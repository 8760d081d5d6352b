"""Cache-blocked execution of a run of ops (numba, parallel over chunks).

A state of ``2**n`` amplitudes is cut into chunks that share every bit
outside an "inner" qubit set ``Q`` (``|Q| = B``, typically 12: 64 KiB per
chunk). Ops that only touch qubits of ``Q`` act inside each chunk, so a whole
run of them costs one gather and one scatter of the state instead of one pass
over memory per op: memory traffic falls by the run length while the
arithmetic is unchanged (the idea behind qulacs' and Aer's cache blocking).

Op encoding (arrays of length ``n_ops``; qubits already mapped to positions in ``Q``):
``kind`` (``ops.XSWAP/DIAG/PERM/DENSE``), ``nt`` and ``tg[:, :nt]`` the targets,
``cm`` the control mask, ``nsp`` and ``sp[:, :nsp]`` the sorted targets and controls,
``moff`` the offset of the matrix (DENSE: ``d*d`` row-major; DIAG/PERM: ``d`` values)
in ``cpool``, ``poff`` the offset of a PERM's permutation in ``ipool`` and ``mode``
the cheap-form code of one-qubit dense matrices (``cpu_gates.dense1_mode_of``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cpu_gates import _dense1_mode, _dense2, _densek, _diag, _insert_zeros, _perm, _xswap

_XSWAP, _DIAG, _PERM, _DENSE = 0, 1, 2, 3


@njit(cache=True, fastmath=True, nogil=True)
def apply_encoded(buf, kind, k, t, cm, s, cpool, m0, ipool, p0, mode, adj):
    """Apply (``adj``: un-apply) one encoded op to a chunk buffer. Serial.

    A separate compiled function (not inlined) keeps the parallel drivers small, so
    that their compile time stays a few seconds.
    """
    d = 1 << k
    if kind == _XSWAP:
        _xswap(buf, t[0], cm, s)
    elif kind == _DIAG:
        _diag(buf, t, cm, cpool[m0:m0 + d], adj)
    elif kind == _PERM:
        _perm(buf, t, cm, s, ipool[p0:p0 + d], cpool[m0:m0 + d], adj)
    elif k == 1:
        _dense1_mode(buf, t[0], cm, s, cpool[m0:m0 + 4].reshape((2, 2)), adj, mode)
    elif k == 2:
        _dense2(buf, t[0], t[1], cm, s, cpool[m0:m0 + 16].reshape((4, 4)), adj)
    else:
        _densek(buf, t, cm, s, cpool[m0:m0 + d * d].reshape((d, d)), adj)


@njit(cache=True, fastmath=True, nogil=True, parallel=True)
def run_blocked(v, qpos, qoff, kind, nt, tg, cm, nsp, sp, moff, poff, mode, cpool, ipool):
    """Apply the encoded ops to every chunk of ``v`` (see the module docstring).

    Args:
        v: state ``(2**n,)``, modified in place.
        qpos: sorted inner qubits ``Q`` (int64, length ``B``).
        qoff: global offset of each local index, ``(2**B,)`` int64.
    """
    bamp = qoff.shape[0]
    nchunk = v.shape[0] // bamp
    nops = kind.shape[0]
    for c in prange(nchunk):
        base = _insert_zeros(np.int64(c), qpos)
        buf = np.empty(bamp, dtype=v.dtype)
        for j in range(bamp):
            buf[j] = v[base + qoff[j]]
        for o in range(nops):
            k = nt[o]
            apply_encoded(buf, kind[o], k, tg[o, :k], cm[o], sp[o, :nsp[o]], cpool, moff[o],
                          ipool, poff[o], mode[o], False)
        for j in range(bamp):
            v[base + qoff[j]] = buf[j]
