"""``Simulator.get_expectation_with_grad``: the batched gradient operator.

Parameter names follow MindQuantum: encoder and ansatz names of
``circ_right`` (first appearance order), then those of ``circ_left`` not yet
seen. A name may not be both. The operator is ``"both"`` (two inputs, three
outputs), ``"ansatz"`` or ``"encoder"`` (one input, two outputs), chosen from
the tags. The batch runs on a thread pool over serial kernels when several
workers are available, otherwise on the parallel kernels.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from .gradient import thread_balance, value_and_grad
from .ops import is_measure
from .pauli import PauliSum
from .program import Program


def _names(circ, attr: str) -> list[str]:
    return list(getattr(circ, attr, []) or [])


class GradOpsWrapper:
    """Callable gradient operator; holds the Hamiltonians, circuits and parameter names."""

    def __init__(self, fn, hams, circ_right, circ_left, encoder_params_name,
                 ansatz_params_name, parallel_worker, sim):
        self.grad_ops = fn
        self.hams = hams
        self.circ_right = circ_right
        self.circ_left = circ_left
        self.encoder_params_name = encoder_params_name
        self.ansatz_params_name = ansatz_params_name
        self.parallel_worker = parallel_worker
        self.sim = sim
        self.str = f"{sim.n_qubits} qubit(s) {sim.backend} VQA Operator"

    def __call__(self, *args):
        return self.grad_ops(*args)

    def __repr__(self) -> str:
        return self.str


def build_grad_ops(sim, hams, circ_right, circ_left=None, parallel_worker=None) -> GradOpsWrapper:
    """See :meth:`quantum.Simulator.get_expectation_with_grad`."""
    if not isinstance(hams, list | tuple):
        hams = [hams]
    if not hams:
        raise ValueError("get_expectation_with_grad: no Hamiltonian given.")
    for c, label in ((circ_right, "circ_right"), (circ_left, "circ_left")):
        if c is not None and any(is_measure(g) for g in c):
            raise ValueError(f"{label} contains a measure gate; gradients need a unitary circuit.")
    enc = _names(circ_right, "encoder_params_name")
    ans = _names(circ_right, "ansatz_params_name")
    if circ_left is not None:
        enc += [p for p in _names(circ_left, "encoder_params_name") if p not in enc]
        ans += [p for p in _names(circ_left, "ansatz_params_name") if p not in ans]
    both = set(enc) & set(ans)
    if both:
        raise RuntimeError(f"Parameter {sorted(both)[0]} is both an encoder and an ansatz "
                           "parameter.")
    n = sim.n_qubits
    enc_ham = [PauliSum.from_hamiltonian(h, n) for h in hams]
    names = enc + ans
    right = Program.parametric(circ_right, n, names, sim.fusion, sim.fusion_max_qubits)
    left = None
    if circ_left is not None:
        left = Program.parametric(circ_left, n, names, sim.fusion, sim.fusion_max_qubits)
    if len(right.slots.names) != len(names) or (left and len(left.slots.names) != len(names)):
        extra = [p for p in (right.slots.names + (left.slots.names if left else []))
                 if p not in names]
        raise ValueError(f"Parameter {extra[0]} appears in a gate but in neither "
                         "encoder_params_name nor ansatz_params_name of the circuit.")
    mask = _grad_mask(circ_right, circ_left, names)
    n_enc = len(enc)

    def run(enc_data: np.ndarray, ans_data: np.ndarray):
        batch = enc_data.shape[0]
        workers = parallel_worker or numba.get_num_threads()
        b_threads, _ = thread_balance(batch, len(hams), workers)
        psi0 = sim._qs
        f = np.zeros((batch, len(hams)), dtype=np.complex128)
        g = np.zeros((batch, len(hams), len(names)), dtype=np.complex128)

        def one(b, backend):
            vals = np.concatenate([enc_data[b], ans_data]).astype(float)
            f[b], g[b] = value_and_grad(backend, enc_ham, right, vals, psi0, left)

        be = sim._be
        if b_threads > 1 and hasattr(be, "serial"):
            ser = be.serial()
            with ThreadPoolExecutor(b_threads) as pool:
                list(pool.map(lambda b: one(b, ser), range(batch)))
        else:
            old = numba.get_num_threads()
            numba.set_num_threads(max(1, min(workers, numba.config.NUMBA_NUM_THREADS)))
            try:
                for b in range(batch):
                    one(b, be)
            finally:
                numba.set_num_threads(old)
        g *= mask
        return f, g[:, :, :n_enc], g[:, :, n_enc:]

    def grad_ops(*inputs):
        return call_with_inputs(run, inputs, enc, ans)

    return GradOpsWrapper(grad_ops, hams, circ_right, circ_left, enc, ans, parallel_worker, sim)


def call_with_inputs(run, inputs, enc: list[str], ans: list[str]):
    """Validate ``grad_ops(*inputs)`` and call ``run(e[B, n_enc], a[n_ans])``.

    A circuit with both kinds of parameters takes ``(encoder_data, ansatz_data)`` and
    returns ``(f, g_enc, g_ans)``; one with only encoder or only ansatz parameters
    takes that one input and returns ``(f, g)``. Shared by every backend.
    """
    n_enc, n_ans = len(enc), len(ans)
    version = "both" if enc and ans else ("encoder" if enc else "ansatz")
    arrs = [np.asarray(x, dtype=float) for x in inputs]
    if version == "both":
        if len(arrs) != 2:
            raise ValueError(f"grad_ops needs two inputs (encoder data [B, {n_enc}], "
                             f"ansatz data [{n_ans}]), got {len(arrs)}.")
        e, a = arrs
        e = e.reshape(1, -1) if e.ndim == 1 else e
        _check(e, a, n_enc, n_ans, enc, ans)
        return run(e, a)
    if len(arrs) != 1:
        raise ValueError(f"grad_ops of a circuit with only {version} parameters takes one "
                         f"input, got {len(arrs)}.")
    x = arrs[0]
    if version == "ansatz":
        _check(np.zeros((1, 0)), x, 0, n_ans, enc, ans)
        f, _, ga = run(np.zeros((1, 0)), x)
        return f, ga
    x = x.reshape(1, -1) if x.ndim == 1 else x
    _check(x, np.zeros(0), n_enc, 0, enc, ans)
    f, ge, _ = run(x, np.zeros(0))
    return f, ge


def _check(e, a, n_enc, n_ans, enc, ans) -> None:
    if e.ndim != 2 or e.shape[1] != n_enc:
        raise ValueError(f"Encoder data must have shape (batch, {n_enc}) for parameters {enc}, "
                         f"got {e.shape}.")
    if a.ndim != 1 or a.shape[0] != n_ans:
        raise ValueError(f"Ansatz data must have shape ({n_ans},) for parameters {ans}, "
                         f"got {a.shape}.")


def _grad_mask(circ_right, circ_left, names) -> np.ndarray:
    """1 for parameters that require a gradient, 0 for those marked ``no_grad``."""
    mask = np.ones(len(names))
    req = None
    for c in (circ_right, circ_left):
        if c is None:
            continue
        for g in c:
            for pr in getattr(g, "params", None) or []:
                r = getattr(pr, "requires_grad_parameters", None)
                if r is None:
                    continue
                keys = set(pr.keys())
                req = (req or set()) | set(r)
                for k in keys - set(r):
                    mask[names.index(k)] = 0.0 if k in names else 1.0
    return mask
