"""Expectation values and their gradients by the adjoint method.

For ``F = <phi| H |psi>`` with ``|psi> = G_L ... G_1 |psi0>`` the adjoint
method (Jones & Gacon, arXiv:2009.02823; MindQuantum's
``HermitianAdjointGradient``) needs one forward pass and one reverse sweep:
start from ``psi = |psi>`` and ``lam = H^dag |phi>``; for ``k = L..1``
un-apply ``G_k`` from ``psi`` (now the state before ``G_k``), add
``<lam| dG_k/dtheta |psi>`` to the gradient of each angle of ``G_k``, then
un-apply ``G_k`` from ``lam``. Memory: the state, and one ``lam`` per
Hamiltonian processed together (never one state per parameter).

* Hermitian ``H`` and no ``circ_left`` (``phi = psi``): ``dF = 2 Re(...)``.
* Otherwise (``circ_left``, or non-Hermitian ``H``): the right circuit's
  angles get ``<H^dag phi| dG |psi_{k-1}>`` and the left circuit's angles get
  ``conj(<H psi| dG' |phi_{k-1}>)``; a parameter in both gets the sum.

Angles map to parameters through the program's slot table: ``g_p = sum_s
g_s coeff_{s,p}`` (shared parameters and linear expressions just work).
"""

from __future__ import annotations

import numpy as np

from . import blocking
from .backend import SPLIT_MAX_AMP
from .blocking import BLOCK_QUBITS, BlockRun, plan_blocks
from .flat import MAX_QUBITS as FLAT_MAX_QUBITS
from .flat import FlatHams, FlatProgram
from .fusion import group_ops
from .ops import Op
from .pauli import PauliSum
from .program import Program

#: the reverse sweep carries at most this many bytes of Hamiltonian adjoint states
LAM_BYTES = 1 << 30


def _blockable(backend, n_qubits: int) -> bool:
    """Cache blocking: CPU backend with parallel kernels (never inside batch threads, since
    numba's default threading layer must not be entered from several threads at once)."""
    return (getattr(backend, "name", "") == "cpu" and getattr(backend, "parallel", False)
            and n_qubits >= blocking.MIN_QUBITS)


def _bind(op: Op, m) -> Op:
    """``op`` with its matrix at the current angles (fixed ops unchanged)."""
    if m is None:
        return op
    bound = Op(op.kind, op.targets, op.ctrls, mat=m, name=op.name)
    # the cheap one-qubit form must hold at every angle, not just this one
    bound.mode = op.param.mode if op.param.kind == "rot" else 0
    return bound


def forward(backend, prog: Program, theta, psi0):
    """``(|psi>, matrices)``: ``psi0`` copied and run through ``prog`` at ``theta``.

    On the CPU from ``blocking.MIN_QUBITS`` qubits the bound ops run cache-blocked; the
    block plan is built once per program and only its matrices are refreshed per call.
    """
    mats = prog.matrices(theta)
    psi = psi0.copy()
    n_qubits = psi.shape[0].bit_length() - 1
    if _blockable(backend, n_qubits):
        for run, x in _forward_plan(prog, mats, n_qubits):
            if run is not None:
                run.run(psi)
            else:
                backend.apply(psi, prog.ops[x], mats[x])
        return psi, mats
    for op, m in zip(prog.ops, mats, strict=True):
        backend.apply(psi, op, m)
    return psi, mats


def _forward_plan(prog: Program, mats, n_qubits: int) -> list:
    """``[(BlockRun, [(j, op index)]) | (None, op index)]``, matrices set to ``mats``."""
    if prog._fplan is not None and prog._fplan[0] == n_qubits:
        plan = prog._fplan[1]
        for run, upd in plan:
            if run is not None:
                for j, x in upd:
                    run.set_op(j, mats[x])
        return plan
    bound = [_bind(op, m) for op, m in zip(prog.ops, mats, strict=True)]
    idx = {id(b): i for i, b in enumerate(bound)}
    plan = []
    for item in plan_blocks(bound, n_qubits):
        if isinstance(item, BlockRun):
            upd = [(j, idx[id(o)]) for j, o in enumerate(item.ops)
                   if prog.ops[idx[id(o)]].param is not None]
            plan.append((item, upd))
        else:
            plan.append((None, idx[id(item)]))
    prog._fplan = (n_qubits, plan)
    return plan


def _sweep(backend, prog: Program, theta, mats, psi, lams) -> np.ndarray:
    """Reverse sweep: slot gradients ``<lam_h| dG |psi_{k-1}>``, shape ``(len(lams), n_slots)``.

    ``psi`` and every ``lam`` are consumed (un-applied down to the initial state).
    """
    n_slots = len(prog.const)
    g = np.zeros((len(lams), n_slots), dtype=np.complex128)
    n_qubits = psi.shape[0].bit_length() - 1
    if _blockable(backend, n_qubits) and len(lams) == 1:
        return _sweep_blocked(backend, prog, theta, mats, psi, lams[0], g, n_qubits)
    fused = hasattr(backend, "step") and len(lams) == 1
    for op, m in zip(reversed(prog.ops), reversed(mats), strict=True):
        if fused and op.param is not None and len(op.param.slots) == 1:
            r = backend.step(psi, lams[0], op, m, op.param.diff(theta)[0])
            if r is not None:
                g[0, op.param.slots[0]] += r
                continue
        backend.apply(psi, op, m, adj=True)
        if op.param is not None:
            dms = op.param.diff(theta)
            for h, lam in enumerate(lams):
                for s, dm in zip(op.param.slots, dms, strict=True):
                    g[h, s] += backend.inner(lam, psi, op, dm)
        for lam in lams:
            backend.apply(lam, op, m, adj=True)
    return g


def _sweep_blocked(backend, prog, theta, mats, psi, lam, g, n_qubits):
    """:func:`_sweep` for one ``lam`` with cache-blocked runs (CPU, large states).

    The plan (runs and single ops, in sweep order) is built once per program; each call
    refreshes the matrices and derivatives of the parameterized ops inside the runs.
    """
    fresh = prog._splan is None or prog._splan[0] != n_qubits
    if fresh:
        prog._splan = (n_qubits, _sweep_plan(prog, theta, mats, n_qubits))
    for kind, a, b in prog._splan[1]:
        if kind == "one":
            _one_step(backend, psi, lam, _sweep_item(prog.ops[a], mats[a], theta), g)
            continue
        run, upd = a, b
        if not fresh:
            for j, x, _ in upd:
                run.set_op(j, mats[x], prog.ops[x].param.diff(theta)[0])
        r = run.sweep(psi, lam)
        for j, _, slot in upd:
            g[0, slot] += r[j]
    return g


def _sweep_item(op: Op, m, theta):
    """``(bound op, derivative(s) or None, slot, slots array or -1)`` of one op."""
    bound = _bind(op, m)
    if op.param is None:
        return bound, None, -1
    if len(op.param.slots) == 1:
        return bound, op.param.diff(theta)[0], int(op.param.slots[0])
    return bound, op.param.diff(theta), op.param.slots


def _sweep_plan(prog, theta, mats, n_qubits) -> list:
    """``[("run", BlockRun, [(j, op index, slot)]) | ("one", op index, None)]`` in sweep
    order: cut at multi-angle ops (they run alone), the rest grouped into cache-sized runs."""
    b = min(BLOCK_QUBITS, n_qubits)
    order = list(range(len(prog.ops) - 1, -1, -1))
    items = {x: _sweep_item(prog.ops[x], mats[x], theta) for x in order}
    plan: list = []
    seg: list[int] = []
    for x in order + [None]:
        if x is not None and not isinstance(items[x][2], np.ndarray):
            seg.append(x)
            continue
        if seg:
            by_id = {id(items[i][0]): i for i in seg}
            for group in group_ops([items[i][0] for i in seg], b):
                xs = [by_id[id(o)] for o in group]
                if len(group) == 1 or any(len(o.targets) > 4 for o in group):
                    plan.extend(("one", i, None) for i in xs)
                    continue
                run = BlockRun(group, n_qubits, b, derivs=[items[i][1] for i in xs])
                upd = [(j, i, items[i][2]) for j, i in enumerate(xs) if items[i][2] >= 0]
                plan.append(("run", run, upd))
            seg = []
        if x is not None:
            plan.append(("one", x, None))
    return plan


def _one_step(backend, psi, lam, item, g):
    op, d, slot = item
    backend.apply(psi, op, adj=True)
    if isinstance(slot, np.ndarray):
        for s, dm in zip(slot, d, strict=True):
            g[0, s] += backend.inner(lam, psi, op, dm)
    elif slot >= 0:
        g[0, slot] += backend.inner(lam, psi, op, d)
    backend.apply(lam, op, adj=True)


def _flat_for(backend, prog: Program, hams: list[PauliSum], psi0):
    """``(FlatProgram, FlatHams)`` for the one-call path, or ``None`` where it does not apply
    (not the CPU backend, not complex128, too many qubits, an op or Hamiltonian it cannot
    encode). Both encodings are cached on ``prog``."""
    if getattr(backend, "name", "") != "cpu" or psi0.dtype != np.complex128:
        return None
    n_qubits = psi0.shape[0].bit_length() - 1
    if n_qubits >= FLAT_MAX_QUBITS and (_blockable(backend, n_qubits)
                                        or psi0.shape[0] > SPLIT_MAX_AMP):
        return None  # blocked kernels; or (batch threads) too big for tabulated diagonals
    if prog._flat is None:
        prog._flat = FlatProgram.build(prog.ops) or False
    if prog._flat is False or not FlatHams.supports(hams):
        return None
    key = (tuple(map(id, hams)), psi0.shape[0])
    if prog._flat_hams is None or prog._flat_hams[0] != key:
        prog._flat_hams = (key, FlatHams(hams, psi0.shape[0]), list(hams))
    return prog._flat, prog._flat_hams[1]


def value_and_grad(backend, hams: list[PauliSum], right: Program, values: np.ndarray,
                   psi0, left: Program | None = None, phi0=None):
    """``f[H]`` and ``g[H, n_params]`` (complex) for one set of parameter values.

    Args:
        backend: the array backend.
        hams: encoded Hamiltonians.
        right: program of ``circ_right`` (names = all parameters, in output order).
        values: parameter values, ordered as ``right.slots.names``.
        psi0: the initial state of the right circuit (the simulator's state).
        left: program of ``circ_left`` (same names), or ``None``.
        phi0: initial state of the left circuit (defaults to ``psi0``).
    """
    n_p = len(right.slots.names)
    th_r = right.theta(values)
    flat = _flat_for(backend, right, hams, psi0) if left is None else None
    if flat is not None:
        prog, fh = flat
        f, gs = prog.value_grad(psi0, th_r, len(right.const), fh)
        return f, 2.0 * gs.real @ right.coeff
    psi, mats_r = forward(backend, right, th_r, psi0)
    n_amp = psi.shape[0]
    chunk = max(1, LAM_BYTES // (n_amp * psi.itemsize))
    f = np.zeros(len(hams), dtype=np.complex128)
    g = np.zeros((len(hams), n_p), dtype=np.complex128)
    herm = left is None and all(h.hermitian for h in hams)
    if left is None:
        left, th_l, phi, mats_l = right, th_r, psi, mats_r
    else:
        th_l = left.theta(values)
        phi, mats_l = forward(backend, left, th_l, psi0 if phi0 is None else phi0)
    for c0 in range(0, len(hams), chunk):
        hs = hams[c0:c0 + chunk]
        if herm:
            lams = []
            for h_i, h in enumerate(hs):
                lam = backend.zeros(n_amp)
                backend.apply_ham(psi, lam, h)
                f[c0 + h_i] = backend.vdot(psi, lam)
                lams.append(lam)
            gs = _sweep(backend, right, th_r, mats_r, psi.copy(), lams)
            g[c0:c0 + len(hs)] = 2.0 * gs.real @ right.coeff
            continue
        lams_r, lams_l = [], []
        for h_i, h in enumerate(hs):
            lam = backend.zeros(n_amp)
            backend.apply_ham(phi, lam, h.dagger())
            lams_r.append(lam)
            lam2 = backend.zeros(n_amp)
            backend.apply_ham(psi, lam2, h)
            f[c0 + h_i] = backend.vdot(phi, lam2)
            lams_l.append(lam2)
        g_r = _sweep(backend, right, th_r, mats_r, psi.copy(), lams_r)
        g_l = _sweep(backend, left, th_l, mats_l, phi.copy(), lams_l)
        g[c0:c0 + len(hs)] = g_r @ right.coeff + np.conj(g_l) @ left.coeff
    return f, g


def thread_balance(batch: int, n_hams: int, workers: int) -> tuple[int, int]:
    """Split ``workers`` threads between the batch and the Hamiltonians (MindQuantum's rule)."""
    workers = max(1, int(workers))
    if batch >= workers:
        return workers, 1
    b = max(1, batch)
    return b, max(1, workers // b)
