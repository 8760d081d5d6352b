"""Expectations of noisy circuits and their gradients by the adjoint method on density matrices.

``F(theta) = Tr(H E_L o ... o E_1 (rho0))`` where each ``E_k`` is a gate
``rho -> G_k rho G_k^dagger`` or a noise channel (fixed). One forward pass gives
``rho_L`` and ``F``; the reverse sweep carries the Heisenberg-evolved observable
``O_k = E_{k+1}^dagger o ... o E_L^dagger (H)`` and the state ``rho_k`` back:

* over a gate: ``rho_{k-1} = G^dagger rho_k G`` and ``O_{k-1} = G^dagger O_k G``,
  and ``dF/dtheta = 2 Re Tr(O_{k-1} (G^dagger dG) rho_{k-1})`` (one fused
  contraction, :func:`~quantum.kernels.density_kernels.trace_dense`; for one-qubit
  gates without controls and one Hamiltonian, the two un-applies and the contraction
  are one pass, :func:`~quantum.kernels.density_kernels.adjoint_step1`);
* over a channel: ``O_{k-1} = sum_i K_i^dagger O_k K_i``; ``rho_{k-1}`` (a
  channel cannot be undone) comes from a checkpoint taken in the forward pass.

Checkpoints: the state before every channel while they fit in
:data:`CHECKPOINT_BYTES`; beyond that, before every ``s``-th channel
(``s ~ sqrt(n_channels)``) with the states in between recomputed block by block
in the reverse sweep (one extra forward pass in all). Memory: the state, one
``O`` per Hamiltonian, and the checkpoints.

The gradient operator mirrors :func:`quantum.simulator.grad_ops.build_grad_ops`:
``grad_ops(encoder[B, n_enc], ansatz[n_ans]) -> (f[B, H], g_enc[B, H, n_enc],
g_ans[B, H, n_ans])`` (complex arrays, real values), or ``grad_ops(x) -> (f, g)``
for circuits with only one kind of parameter. Hamiltonians must be Hermitian.
"""

from __future__ import annotations

import math

import numpy as np

from .density_ops import ChannelOp, DensityProgram, GateOnRho
from .grad_ops import GradOpsWrapper, call_with_inputs
from .ops import is_measure

#: bytes of density matrices the forward pass may keep as checkpoints
CHECKPOINT_BYTES = 1 << 30


def hamiltonian_matrix(ham, n_qubits: int) -> np.ndarray:
    """Dense ``(2**n, 2**n)`` complex128 matrix of a ``Hamiltonian`` or ``QubitOperator``.

    Raises:
        ValueError: a term acts on a qubit ``>= n_qubits`` (the qubit is named).
    """
    sparse = getattr(ham, "sparse_mat", None)
    if sparse is not None:
        if sparse.shape[0] != 1 << n_qubits:
            raise ValueError(f"Sparse Hamiltonian of dimension {sparse.shape[0]} does not match "
                             f"{n_qubits} qubits.")
        return np.ascontiguousarray(sparse.toarray(), dtype=np.complex128)
    op = getattr(ham, "ham", ham)
    terms = op.terms.items() if isinstance(op.terms, dict) else op.terms
    for term, _ in terms:
        for q, p in term:
            if int(q) >= n_qubits:
                raise ValueError(f"Hamiltonian term {p}{q} acts on qubit {q}, but the "
                                 f"simulator has only {n_qubits} qubits.")
    return np.ascontiguousarray(op.matrix(n_qubits, sparse=False), dtype=np.complex128)


def _slot_derivs(item: GateOnRho, mat: np.ndarray, theta: np.ndarray) -> list[np.ndarray]:
    """``G^dagger dG/dtheta_s`` (dense local matrices) for each angle of a parameterized gate."""
    dms = item.op.param.diff(theta)
    if item.diag:
        return [np.diag(np.conj(mat) * dm) for dm in dms]
    return [mat.conj().T @ np.asarray(dm, dtype=np.complex128) for dm in dms]


class _Checkpoints:
    """States before the channels of a program, stored or recomputed (see module docstring)."""

    def __init__(self, prog: DensityProgram, mats: list, chans: list[int], first: int,
                 stride: int):
        self.prog, self.mats, self.chans = prog, mats, chans
        self.first, self.stride = first, stride
        self.base: dict[int, np.ndarray] = {}
        self.cache: dict[int, np.ndarray] = {}

    def forward(self, rho0: np.ndarray) -> np.ndarray:
        v = rho0.copy()
        pos = 0
        j0 = None
        for j, ci in enumerate(self.chans):
            v = self.prog.run(v, self.mats, pos, ci)
            pos = ci
            if ci > self.first:
                j0 = j if j0 is None else j0
                if (j - j0) % self.stride == 0:
                    self.base[j] = v.copy()
        return self.prog.run(v, self.mats, pos)

    def before(self, j: int) -> np.ndarray:
        """The state just before channel ``j`` (ordinal among the channels)."""
        if j in self.cache:
            return self.cache.pop(j)
        if j in self.base:
            return self.base.pop(j)
        b = max(k for k in self.base if k < j)
        w = self.base[b].copy()
        for jj in range(b, j):
            w = self.prog.run(w, self.mats, self.chans[jj], self.chans[jj + 1])
            if jj + 1 < j:
                self.cache[jj + 1] = w.copy()
        return w


def value_and_grad(prog: DensityProgram, obs: list[np.ndarray], values: np.ndarray,
                   rho0: np.ndarray, with_grad: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``f[H]`` (real) and ``g[H, n_params]`` for one set of parameter values.

    Args:
        prog: the symbolic program (names fix the parameter order).
        obs: flattened Hermitian observables, each ``(4**n,)`` complex128.
        values: parameter values ordered as ``prog.slots.names``.
        rho0: flattened initial density matrix ``(4**n,)`` (not modified).
        with_grad: ``False`` skips the reverse sweep (``g`` is zero).
    """
    const, coeff = prog.const, prog.coeff
    theta = prog.theta(values)
    mats = prog.matrices(theta)
    n_h, n_p = len(obs), coeff.shape[1]
    params = [i for i, it in enumerate(prog.items)
              if isinstance(it, GateOnRho) and it.op.param is not None]
    first = params[0] if (params and with_grad) else len(prog.items)
    chans = [i for i, it in enumerate(prog.items) if isinstance(it, ChannelOp)]
    n_late = sum(1 for c in chans if c > first)
    cap = max(2, CHECKPOINT_BYTES // max(1, rho0.nbytes))
    stride = 1 if n_late <= cap else math.ceil(math.sqrt(n_late))
    ck = _Checkpoints(prog, mats, chans, first, stride)
    rho = ck.forward(rho0)
    f = np.array([np.vdot(o, rho).real for o in obs])
    g = np.zeros((n_h, len(const)))
    if not params or not with_grad:
        return f, np.zeros((n_h, n_p))
    os_ = [o.copy() for o in obs]
    ch_ord = {c: j for j, c in enumerate(chans)}
    for i in range(len(prog.items) - 1, first - 1, -1):
        item = prog.items[i]
        if isinstance(item, ChannelOp):
            os_ = [item.apply(o, adjoint=True) for o in os_]
            rho = ck.before(ch_ord[i])
            continue
        if item.op.param is not None and len(os_) == 1 and len(item.op.param.slots) == 1:
            dmat = _slot_derivs(item, mats[i], theta)[0]
            r = item.adjoint_step(rho, os_[0], mats[i], dmat)
            if r is not None:
                g[0, item.op.param.slots[0]] += 2.0 * r.real
                continue
        inv = item.operands(mats[i], adjoint=True)
        item.run(rho, inv)
        for o in os_:
            item.run(o, inv)
        if item.op.param is None:
            continue
        for s, dmat in zip(item.op.param.slots, _slot_derivs(item, mats[i], theta), strict=True):
            for h, o in enumerate(os_):
                g[h, s] += 2.0 * item.trace_rows(o, rho, dmat).real
    return f, g @ coeff


def _names(circ, attr: str) -> list[str]:
    return list(getattr(circ, attr, []) or [])


def _grad_mask(circ, names: list[str]) -> np.ndarray:
    """1 for parameters that require a gradient, 0 for those marked ``no_grad``."""
    mask = np.ones(len(names))
    for gate in circ:
        for pr in getattr(gate, "params", None) or []:
            req = getattr(pr, "requires_grad_parameters", None)
            if req is None:
                continue
            for k in set(pr.keys()) - set(req):
                if k in names:
                    mask[names.index(k)] = 0.0
    return mask


def build_density_grad_ops(sim, hams, circ_right, circ_left=None,
                           parallel_worker: int | None = None) -> GradOpsWrapper:
    """See :meth:`quantum.simulator.density.DensityMatrixSimulator.get_expectation_with_grad`."""
    if circ_left is not None:
        raise NotImplementedError("density backend: circ_left (non-Hermitian expectations) is "
                                  "not supported; use the state-vector backend.")
    if not isinstance(hams, list | tuple):
        hams = [hams]
    if not hams:
        raise ValueError("get_expectation_with_grad: no Hamiltonian given.")
    if any(is_measure(g) for g in circ_right):
        raise ValueError("circ_right contains a measure gate; gradients need a circuit "
                         "without measurements.")
    n = sim.n_qubits
    obs = []
    for i, h in enumerate(hams):
        m = hamiltonian_matrix(h, n)
        err = float(np.max(np.abs(m - m.conj().T))) if m.size else 0.0
        if err > 1e-10:
            raise ValueError(f"density backend: Hamiltonian {i} is not Hermitian "
                             f"(max |H - H^dagger| = {err:.2e}); gradients need Hermitian "
                             "observables.")
        obs.append(m.reshape(-1))
    enc = _names(circ_right, "encoder_params_name")
    ans = _names(circ_right, "ansatz_params_name")
    both = set(enc) & set(ans)
    if both:
        raise RuntimeError(f"Parameter {sorted(both)[0]} is both an encoder and an ansatz "
                           "parameter.")
    names = enc + ans
    prog = DensityProgram.build(circ_right, n, names)
    if len(prog.slots.names) != len(names):
        extra = [p for p in prog.slots.names if p not in names]
        raise ValueError(f"Parameter {extra[0]} appears in a gate but in neither "
                         "encoder_params_name nor ansatz_params_name of the circuit.")
    mask = _grad_mask(circ_right, names)
    n_enc = len(enc)

    def run(e: np.ndarray, a: np.ndarray):
        rho0 = sim._rho.reshape(-1)
        batch = e.shape[0]
        f = np.zeros((batch, len(obs)), dtype=np.complex128)
        g = np.zeros((batch, len(obs), len(names)), dtype=np.complex128)
        for b in range(batch):
            vals = np.concatenate([e[b], a]).astype(float)
            f[b], g[b] = value_and_grad(prog, obs, vals, rho0)
        g *= mask
        return f, g[:, :, :n_enc], g[:, :, n_enc:]

    def grad_ops(*inputs):
        return call_with_inputs(run, inputs, enc, ans)

    return GradOpsWrapper(grad_ops, hams, circ_right, None, enc, ans, parallel_worker, sim)
