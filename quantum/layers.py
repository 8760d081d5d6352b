"""Quantum layers on the autodiff core: circuits as ``core_autodiff.nn.Module`` s.

A parameterized circuit splits its parameters into **encoder** parameters (data,
one row per sample) and **ansatz** parameters (trainable weights), as in
MindQuantum. A layer evaluates, for a batch of encoder rows ``x`` of shape
``(batch, n_enc)`` and the weight vector ``w`` of shape ``(n_ans,)``, one real
number per sample and observable, and differentiates it by the adjoint method
(:meth:`quantum.Simulator.get_expectation_with_grad`).

Layers:

* :class:`QuantumLayer` ``(circuit, hams)``: ``y[b, h] = <psi(x_b, w)| H_h |psi(x_b, w)>``,
  shape ``(batch, n_hams)`` (MindQuantum ``MQLayer``; without encoder parameters
  ``layer()`` returns ``(n_hams,)``, like ``MQAnsatzOnlyLayer``).
* :class:`ProbabilityLayer` ``(circuit, qubits)``: probabilities of the ``2**k``
  outcomes of measuring ``qubits``, exact or estimated from ``shots`` samples,
  shape ``(batch, 2**k)``.
* :class:`FidelityLayer` ``(circ_right, circ_left)``: ``|<0| U_l^dag H U_r |0>|^2``
  (``H = I`` by default: the fidelity ``|<phi|psi>|^2``), shape ``(batch, n_hams)``
  (MindQuantum ``MQN2Layer`` with ``circ_left``).

Gradients reach the inputs and the weights through :class:`ExpectationPrimitive`,
a once-differentiable primitive (``max_order = 1``): the simulator returns the
Jacobian with the value, the primitive keeps it in the call's context and its vjp
contracts it with the cotangent. A second derivative raises. Nothing from a call
is stored on the layer, so layers are re-entrant.

Example:
    >>> import core_autodiff as ad
    >>> from quantum import Circuit, Hamiltonian, QubitOperator, QuantumLayer, gates
    >>> circ = Circuit([gates.RX("x0").on(0), gates.RY("w0").on(0)])
    >>> circ = circ.as_ansatz(); circ[0].as_encoder()       # x0 is data, w0 trainable
    >>> layer = QuantumLayer(circ, Hamiltonian(QubitOperator("Z0")))
    >>> y = layer(ad.tensor([[0.1], [0.2]]))                 # (2, 1)
    >>> y.sum().backward(); layer.weight.grad.shape          # (1,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import core_autodiff as ad
from core_autodiff import Parameter, Primitive, Tensor

from .operators import Hamiltonian, QubitOperator
from .simulator import GradOpsWrapper, Simulator

__all__ = [
    "ExpectationPrimitive", "FidelityLayer", "MQAnsatzOnlyLayer", "MQLayer", "MQN2AnsatzOnlyLayer",
    "MQN2Layer", "ProbabilityLayer", "QuantumLayer", "projector_hamiltonians",
]


# ---------------------------------------------------------------------------- the primitive
def _run_grad_ops(grad_ops: GradOpsWrapper, x: np.ndarray, w: np.ndarray):
    """``f[B, H], g_enc[B, H, n_enc], g_ans[B, H, n_ans]`` (complex) whatever the version."""
    n_enc = len(grad_ops.encoder_params_name)
    n_ans = len(grad_ops.ansatz_params_name)
    if n_enc and n_ans:
        return grad_ops(x, w)
    if n_ans:
        f, ga = grad_ops(w)
        return f, np.zeros(f.shape + (0,), dtype=f.dtype), ga
    f, ge = grad_ops(x)
    return f, ge, np.zeros(f.shape + (0,), dtype=f.dtype)


class ExpectationPrimitive(Primitive):
    """``(x[B, n_enc], w[n_ans]) -> y[B, H]`` through a MindQuantum-style gradient operator.

    Args:
        grad_ops: from ``Simulator.get_expectation_with_grad`` (any version).
        squared: ``False``: ``y = Re f`` (Hermitian observables); ``True``: ``y = |f|^2``
            (overlaps, ``circ_left``), with ``dy = 2 Re(conj(f) df)``.
        sampler: optional ``sampler(y) -> y_est`` applied to the exact forward value
            (shot noise); the vjp keeps the exact Jacobian.

    Once-differentiable: the Jacobian comes from the adjoint sweep of the simulator.
    """

    max_order = 1

    def __init__(self, grad_ops: GradOpsWrapper, squared: bool = False, sampler: Any = None,
                 name: str = "quantum_expectation") -> None:
        self.grad_ops = grad_ops
        self.squared = squared
        self.sampler = sampler
        self.name = name

    def forward(self, ctx, xp, x, w):
        x_np = np.asarray(ad.to_device(x, "cpu"), dtype=np.float64)
        w_np = np.asarray(ad.to_device(w, "cpu"), dtype=np.float64)
        f, ge, ga = _run_grad_ops(self.grad_ops, x_np, w_np)
        if self.squared:
            y = np.abs(f) ** 2
            fc = np.conj(f)[:, :, None]
            je, ja = 2.0 * (fc * ge).real, 2.0 * (fc * ga).real
        else:
            y, je, ja = f.real, ge.real, ga.real
        if self.sampler is not None:
            y = self.sampler(y)
        ctx.je = xp.asarray(je.astype(x.dtype, copy=False))
        ctx.ja = xp.asarray(ja.astype(w.dtype, copy=False))
        return xp.asarray(y.astype(np.result_type(x.dtype, w.dtype), copy=False))

    def vjp(self, ctx, needs, g):
        gx = gw = None
        if needs[0]:
            gx = ad.einsum("bh,bhe->be", g, Tensor(ctx.je)).astype(ctx.je.dtype)
        if needs[1]:
            gw = ad.einsum("bh,bha->a", g, Tensor(ctx.ja)).astype(ctx.ja.dtype)
        return gx, gw


# ---------------------------------------------------------------------------- helpers
def _as_hams(hams: Any) -> list[Hamiltonian]:
    """One Hamiltonian / QubitOperator or a sequence of them -> list of Hamiltonians."""
    if isinstance(hams, Hamiltonian | QubitOperator):
        hams = [hams]
    out = []
    for i, h in enumerate(hams):
        if isinstance(h, QubitOperator):
            h = Hamiltonian(h)
        if not isinstance(h, Hamiltonian):
            raise TypeError(f"hams[{i}] must be a Hamiltonian or QubitOperator, "
                            f"got {type(h).__name__}")
        out.append(h)
    if not out:
        raise ValueError("a quantum layer needs at least one Hamiltonian")
    return out


def _make_simulator(backend: Any, n_qubits: int, dtype: Any) -> Simulator:
    if isinstance(backend, str):
        return Simulator(backend, n_qubits, dtype=dtype)
    if hasattr(backend, "get_expectation_with_grad"):
        if backend.n_qubits < n_qubits:
            raise ValueError(f"the simulator has {backend.n_qubits} qubits, the circuit "
                             f"needs {n_qubits}")
        return backend
    return Simulator(backend, n_qubits, dtype=dtype)   # a backend object (CudaBackend, ...)


def _workers(parallel_worker: int | None) -> dict[str, int]:
    """Keyword for ``get_expectation_with_grad`` (omitted when None, for any backend)."""
    return {} if parallel_worker is None else {"parallel_worker": int(parallel_worker)}


def _init_weight(weight: Any, n: int, seed: Any, names: Sequence[str]) -> np.ndarray:
    """MindQuantum's initialisers: "normal" (N(0, 0.01**2)), "zeros", "uniform"
    (U(-pi, pi)), an explicit array, or a dict / ParameterResolver by name."""
    rng = np.random.default_rng(seed)
    if isinstance(weight, str):
        if weight == "normal":
            return rng.normal(0.0, 0.01, n)
        if weight == "zeros":
            return np.zeros(n)
        if weight == "uniform":
            return rng.uniform(-np.pi, np.pi, n)
        raise ValueError(f"unknown weight initialiser {weight!r}: use 'normal', 'zeros', "
                         "'uniform' or an array")
    if isinstance(weight, dict) or hasattr(weight, "keys") and not isinstance(weight, Tensor):
        values = dict(weight.items())
        missing = [k for k in names if k not in values]
        extra = [k for k in values if k not in names]
        if missing or extra:
            raise ValueError(f"initial weight: missing ansatz parameters {missing}, "
                             f"unknown names {extra}")
        return np.array([float(np.real(values[k])) for k in names])
    arr = np.asarray(ad.to_device(weight.data if isinstance(weight, Tensor) else weight, "cpu"),
                     dtype=np.float64).reshape(-1)
    if arr.shape != (n,):
        raise ValueError(f"initial weight has {arr.size} values for the {n} ansatz "
                         f"parameters {list(names)}")
    return arr.copy()


class _GradOpsModule(ad.nn.Module):
    """Shared machinery: a gradient operator, the weight Parameter, input checking."""

    def __init__(self, grad_ops: GradOpsWrapper, weight: Any = "normal", seed: Any = None,
                 squared: bool = False, sampler: Any = None, name: str = "quantum_layer"):
        super().__init__()
        if not isinstance(grad_ops, GradOpsWrapper) and not hasattr(grad_ops, "hams"):
            raise TypeError(f"expected the operator of get_expectation_with_grad, got "
                            f"{type(grad_ops).__name__}")
        self.grad_ops = grad_ops
        self.encoder_params_name = list(grad_ops.encoder_params_name)
        self.ansatz_params_name = list(grad_ops.ansatz_params_name)
        self.n_hams = len(grad_ops.hams)
        self._prim = ExpectationPrimitive(grad_ops, squared, sampler, name)
        n_ans = len(self.ansatz_params_name)
        if n_ans:
            self.weight = Parameter(_init_weight(weight, n_ans, seed, self.ansatz_params_name))
        else:
            self._empty_weight = Tensor(np.zeros(0))

    @property
    def n_enc(self) -> int:
        return len(self.encoder_params_name)

    @property
    def n_ans(self) -> int:
        return len(self.ansatz_params_name)

    def forward(self, x: Tensor | np.ndarray | None = None) -> Tensor:
        """``x``: ``(batch, n_enc)`` (or ``(n_enc,)``, giving ``(n_out,)``); ``None`` when the
        circuit has no encoder parameters (output ``(n_out,)``).

        Raises:
            ValueError: ``x`` has the wrong shape (naming the encoder parameters).
        """
        w = self.weight if self.n_ans else self._empty_weight
        if self.n_enc == 0:
            if x is not None and np.size(x.data if isinstance(x, Tensor) else x) != 0:
                raise ValueError(f"{type(self).__name__}: the circuit has no encoder parameter, "
                                 "call it without input")
            return self._prim(Tensor(np.zeros((1, 0))), w)[0]
        if x is None:
            raise ValueError(f"{type(self).__name__}: input of shape (batch, {self.n_enc}) needed "
                             f"for encoder parameters {self.encoder_params_name}")
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=np.float64))
        single = x.ndim == 1
        if single:
            x = ad.reshape(x, (1, -1))
        if x.ndim != 2 or x.shape[1] != self.n_enc:
            raise ValueError(f"{type(self).__name__}: input must have shape (batch, {self.n_enc}) "
                             f"for encoder parameters {self.encoder_params_name}, got {x.shape}")
        if x.dtype != np.float64:
            x = x.astype(np.float64)
        y = self._prim(x, w)
        return y[0] if single else y

    def extra_repr(self) -> str:
        return (f"n_qubits={self.grad_ops.sim.n_qubits}, n_enc={self.n_enc}, "
                f"n_ans={self.n_ans}, n_out={self.n_hams}")


# ---------------------------------------------------------------------------- layers
class QuantumLayer(_GradOpsModule):
    """Expectation values of a parameterized circuit as a trainable layer.

    ``y = layer(x)``: ``x`` a ``(batch, n_enc)`` Tensor of encoder-parameter values
    (columns in the order of ``layer.encoder_params_name``), ``y`` the ``(batch,
    n_hams)`` real expectations ``<psi(x_b, w)| H_h |psi(x_b, w)>``; ``layer.weight``
    holds the ansatz parameters (order ``layer.ansatz_params_name``). Gradients flow
    to ``x`` and ``weight``, once (adjoint method).

    Args:
        circuit: the circuit; parameters tagged ``as_encoder()`` are inputs, the
            others weights. No measure gates.
        hams: a Hamiltonian / QubitOperator, or a list of them (Hermitian).
        backend: simulator name ("cpu", "gpu", "density", ...), a simulator object, or a
            backend object for ``Simulator`` (e.g. ``CudaBackend``).
        n_qubits: register width (default ``circuit.n_qubits`` or the Hamiltonians').
        weight: initial weights: "normal" (N(0, 0.01^2), MindQuantum's default),
            "zeros", "uniform" (U(-pi, pi)), an array of length ``n_ans``, or a dict /
            ParameterResolver of values by parameter name.
        seed: seed of the weight initialiser.
        parallel_worker: threads over the batch (default: numba's thread count).
        dtype: simulator precision, ``np.complex128`` or ``np.complex64``.

    Raises:
        ValueError / TypeError: bad Hamiltonians, measure gates, a parameter both
            encoder and ansatz, wrong weight length.
    """

    def __init__(self, circuit: Any, hams: Any, backend: Any = "cpu", n_qubits: int | None = None,
                 weight: Any = "normal", seed: Any = None, parallel_worker: int | None = None,
                 dtype: Any = np.complex128) -> None:
        hams = _as_hams(hams)
        n = n_qubits or max([circuit.n_qubits] + [h.n_qubits for h in hams] + [1])
        sim = _make_simulator(backend, n, dtype)
        grad_ops = sim.get_expectation_with_grad(hams, circuit, **_workers(parallel_worker))
        super().__init__(grad_ops, weight, seed, name="quantum_layer")
        self.circuit = circuit
        self.hams = hams


def projector_hamiltonians(qubits: Sequence[int], n_qubits: int | None = None,
                           sparse: bool = False) -> list[Hamiltonian]:
    """``2**k`` projectors ``|s><s|`` on ``qubits``.

    Outcome ``s`` has bit ``j`` (little-endian) equal to the value of ``qubits[j]``.
    ``sparse=False``: Pauli-Z sums ``P_s = prod_j (I + (-1)**s_j Z_{q_j}) / 2`` (``2**k``
    terms each, any backend); ``sparse=True``: diagonal CSR matrices on ``n_qubits``
    qubits (``2**(n-k)`` entries each, the CPU backend's sparse mode), for many qubits.
    """
    qubits = [int(q) for q in qubits]
    if len(set(qubits)) != len(qubits):
        raise ValueError(f"repeated qubit in {qubits}")
    if sparse:
        import scipy.sparse as sp

        n = max(qubits) + 1 if n_qubits is None else int(n_qubits)
        idx = np.arange(1 << n)
        outcome = np.zeros(1 << n, dtype=np.int64)
        for j, q in enumerate(qubits):
            outcome |= ((idx >> q) & 1) << j
        return [Hamiltonian(sp.diags((outcome == s).astype(np.complex128)).tocsr())
                for s in range(1 << len(qubits))]
    out = []
    for s in range(1 << len(qubits)):
        op = QubitOperator("", 1.0)
        for j, q in enumerate(qubits):
            sign = -1.0 if (s >> j) & 1 else 1.0
            op = op * (QubitOperator("", 0.5) + QubitOperator(f"Z{q}", 0.5 * sign))
        out.append(Hamiltonian(op))
    return out


#: from this many measured qubits the CPU probability layer uses sparse diagonal projectors
SPARSE_PROJECTORS_FROM = 4


class ProbabilityLayer(_GradOpsModule):
    """Outcome probabilities of measuring some qubits, as a trainable layer.

    ``y = layer(x)`` has shape ``(batch, 2**k)``; column ``s`` is the probability that
    ``qubits[j]`` reads bit ``j`` of ``s`` (little-endian, MindQuantum's key order).

    Args:
        circuit: the circuit (encoder / ansatz split as :class:`QuantumLayer`). Its measure
            gates, if any, choose the qubits when ``qubits`` is None and are removed.
        qubits: measured qubits (default: the measure gates, else all qubits).
        shots: None for exact probabilities; an int for frequencies of ``shots`` samples
            per row (multinomial). Gradients are those of the exact probabilities (the
            sample frequencies are their unbiased estimate).
        seed: seeds the weight initialiser and the sampler.
        backend, n_qubits, weight, parallel_worker, dtype: as :class:`QuantumLayer`.
    """

    def __init__(self, circuit: Any, qubits: Sequence[int] | None = None, shots: int | None = None,
                 backend: Any = "cpu", n_qubits: int | None = None, weight: Any = "normal",
                 seed: Any = None, parallel_worker: int | None = None,
                 dtype: Any = np.complex128) -> None:
        measured = [int(g.obj_qubits[0]) for g in circuit if type(g).__name__ == "MeasureGate"]
        if measured:
            circuit = circuit.remove_measure()
        if qubits is None:
            qubits = measured or list(range(max(circuit.n_qubits, 1)))
        qubits = [int(q) for q in qubits]
        n = n_qubits or max([circuit.n_qubits, max(qubits) + 1])
        for q in qubits:
            if q < 0 or q >= n:
                raise ValueError(f"ProbabilityLayer: qubit {q} outside the {n}-qubit register")
        if shots is not None and (int(shots) != shots or shots < 1):
            raise ValueError(f"shots must be a positive integer or None, got {shots!r}")
        self_rng = np.random.default_rng(seed)
        sampler = None
        if shots is not None:
            def sampler(p: np.ndarray) -> np.ndarray:
                p = np.clip(p, 0.0, None)
                p = p / p.sum(axis=-1, keepdims=True)
                return np.stack([self_rng.multinomial(int(shots), row) for row in p]) / shots
        sim = _make_simulator(backend, n, dtype)
        sparse = (len(qubits) >= SPARSE_PROJECTORS_FROM
                  and getattr(sim, "_be", None).__class__.__name__ == "CpuBackend")
        grad_ops = sim.get_expectation_with_grad(projector_hamiltonians(qubits, n, sparse),
                                                 circuit, **_workers(parallel_worker))
        super().__init__(grad_ops, weight, seed, sampler=sampler, name="quantum_probabilities")
        self.circuit = circuit
        self.qubits = qubits
        self.shots = shots


class FidelityLayer(_GradOpsModule):
    """``y[b, h] = |<0| U_l(x_b, w)^dag H_h U_r(x_b, w) |0>|^2`` as a trainable layer.

    With ``hams=None`` (identity) this is the fidelity ``|<phi|psi>|^2`` of
    ``|psi> = U_r|0>`` and ``|phi> = U_l|0>``: e.g. a data state on one side and a
    trainable state on the other (quantum kernels, state learning, VQD penalties).
    Encoder and ansatz parameters may appear in either circuit.

    Args:
        circ_right: ``U_r``.
        circ_left: ``U_l``.
        hams: observables (default the identity), as :class:`QuantumLayer`.
        backend, n_qubits, weight, seed, parallel_worker, dtype: as :class:`QuantumLayer`.
    """

    def __init__(self, circ_right: Any, circ_left: Any, hams: Any = None, backend: Any = "cpu",
                 n_qubits: int | None = None, weight: Any = "normal", seed: Any = None,
                 parallel_worker: int | None = None, dtype: Any = np.complex128) -> None:
        hams = _as_hams(QubitOperator("") if hams is None else hams)
        n = n_qubits or max([circ_right.n_qubits, circ_left.n_qubits]
                            + [h.n_qubits for h in hams] + [1])
        sim = _make_simulator(backend, n, dtype)
        grad_ops = sim.get_expectation_with_grad(hams, circ_right, circ_left,
                                                 **_workers(parallel_worker))
        super().__init__(grad_ops, weight, seed, squared=True, name="quantum_fidelity")
        self.circ_right = circ_right
        self.circ_left = circ_left
        self.hams = hams


# ---------------------------------------------------------------------------- MindQuantum names
class MQLayer(_GradOpsModule):
    """MindQuantum's ``MQLayer(grad_ops, weight='normal')``: ``Re f`` of an encoder+ansatz
    gradient operator, shape ``(batch, n_hams)``. Port of ``mindquantum.framework``."""

    def __init__(self, expectation_with_grad: GradOpsWrapper, weight: Any = "normal",
                 seed: Any = None) -> None:
        super().__init__(expectation_with_grad, weight, seed, name="mq_layer")


class MQAnsatzOnlyLayer(MQLayer):
    """MindQuantum's ``MQAnsatzOnlyLayer``: ``layer()`` returns ``(n_hams,)``."""


class MQN2Layer(_GradOpsModule):
    """MindQuantum's ``MQN2Layer``: ``|f|^2`` (e.g. overlaps through ``circ_left``)."""

    def __init__(self, expectation_with_grad: GradOpsWrapper, weight: Any = "normal",
                 seed: Any = None) -> None:
        super().__init__(expectation_with_grad, weight, seed, squared=True, name="mq_n2_layer")


class MQN2AnsatzOnlyLayer(MQN2Layer):
    """MindQuantum's ``MQN2AnsatzOnlyLayer``: ``layer()`` returns ``|f|^2``, ``(n_hams,)``."""
