"""The state-vector ``Simulator`` (MindQuantum's ``Simulator`` API).

``Simulator("cpu", n_qubits, seed=None, dtype=np.complex128)`` holds a state
``(2**n_qubits,)`` (qubit 0 = least significant index bit) and applies gates
and circuits with the numba kernels (``"gpu"``: the numba.cuda kernels on
cupy arrays). Circuits are compiled to ops, fused (``fusion=True``) and run;
``get_expectation_with_grad`` returns an adjoint-method gradient operator.

Example:
    >>> sim = Simulator("cpu", 2)
    >>> sim.apply_circuit(circ, {"a": 0.3})
    >>> f, g = sim.get_expectation_with_grad(Hamiltonian(QubitOperator("Z1")), circ)(x)
"""

from __future__ import annotations

import numpy as np

from . import blocking as _blocking
from . import flat as _flat
from .backend import make_backend
from .blocking import BlockRun, plan_blocks
from .grad_ops import GradOpsWrapper, build_grad_ops
from .measure import MeasureResult, measure_plan, sample_indices
from .ops import compile_gate, is_barrier, is_measure
from .pauli import PauliSum
from .program import Program

#: below this many qubits the default fusion merges two-qubit blocks
FUSION_2Q_BELOW = 12


class Simulator:
    """State-vector simulator.

    Args:
        backend: "cpu" (alias "mqvector") or "gpu" (aliases "mqvector_gpu", "cuda"), or a
            backend object such as ``CudaBackend(dtype, xp=numpy)`` (pluggable array module).
            "density" (alias "mqmatrix") returns a
            :class:`~quantum.simulator.density.DensityMatrixSimulator` (noise channels; the
            state-vector backends raise ValueError on a channel instead of sampling one).
        n_qubits: register width.
        seed: seed of the sampling random generator.
        dtype: ``np.complex128`` or ``np.complex64``.
        fusion: fuse adjacent fixed gates in ``apply_circuit`` and gradients.
        fusion_max_qubits: largest fused block; default 2 below 12 qubits (fewer kernel
            calls where call overhead dominates), 1 from there up, where the kernels are
            arithmetic-bound and wider dense blocks only add work.
        blocking: on the CPU from ``blocking.MIN_QUBITS`` qubits, run stretches of fixed
            gates chunk by chunk in cache (:mod:`quantum.simulator.blocking`). Below
            ``flat.MAX_QUBITS`` qubits (CPU, complex128) circuits and adjoint gradients run
            as one numba call each (:mod:`quantum.simulator.flat`).

    Raises:
        ValueError: unknown backend, bad ``n_qubits`` or dtype.
        RuntimeError: "gpu" without cupy or a CUDA device.
    """

    def __new__(cls, backend: str = "cpu", *args, **kwargs):
        # "density" / "mqmatrix": the density-matrix backend (quantum.simulator.density)
        if cls is Simulator and isinstance(backend, str) and backend.lower() in (
                "density", "mqmatrix"):
            from .density import DensityMatrixSimulator

            return super().__new__(DensityMatrixSimulator)
        return super().__new__(cls)

    def __init__(self, backend: str, n_qubits: int, seed: int | None = None,
                 dtype=np.complex128, fusion: bool = True,
                 fusion_max_qubits: int | None = None, blocking: bool = True):
        if int(n_qubits) != n_qubits or n_qubits < 1:
            raise ValueError(f"n_qubits must be a positive integer, got {n_qubits!r}.")
        dtype = np.dtype(dtype)
        if dtype not in (np.complex128, np.complex64):
            raise ValueError(f"dtype must be complex128 or complex64, got {dtype}.")
        self.n_qubits = int(n_qubits)
        self._be = make_backend(backend, dtype)
        self.backend = backend if isinstance(backend, str) else self._be.name
        self.dtype = np.dtype(getattr(self._be, "dtype", dtype))
        self.fusion = fusion
        if fusion_max_qubits is None:
            fusion_max_qubits = 2 if self.n_qubits < FUSION_2Q_BELOW else 1
        self.fusion_max_qubits = int(fusion_max_qubits)
        self.blocking = blocking
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._qs = self._be.zeros(1 << self.n_qubits)
        self._qs[0] = 1.0

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Back to ``|0...0>``."""
        self._qs[:] = 0
        self._qs[0] = 1.0

    def get_qs(self, ket: bool = False):
        """A numpy copy of the state vector ``(2**n,)`` (``ket=True``: a ket string)."""
        qs = np.array(self._be.to_numpy(self._qs))
        if ket:
            return " + ".join(f"({a:.4g})|{i:0{self.n_qubits}b}>"
                              for i, a in enumerate(qs) if abs(a) > 1e-8)
        return qs

    def set_qs(self, quantum_state) -> None:
        """Set the state (normalised). Raises ValueError on a wrong length or a zero vector."""
        v = np.asarray(self._be.to_numpy(quantum_state)).reshape(-1)
        if v.shape[0] != 1 << self.n_qubits:
            raise ValueError(f"set_qs: state of length {v.shape[0]} does not fit "
                             f"{self.n_qubits} qubits (expected {1 << self.n_qubits}).")
        norm = np.linalg.norm(v)
        if not np.isfinite(norm) or norm == 0:
            raise ValueError("set_qs: the state has zero or non-finite norm.")
        self._qs = self._be.asarray(v / norm)

    def copy(self) -> Simulator:
        """An independent simulator with the same state."""
        sim = Simulator(self._be, self.n_qubits, self.seed, self.dtype, self.fusion,
                        self.fusion_max_qubits, self.blocking)
        sim.backend = self.backend
        sim._qs = self._qs.copy()
        return sim

    # ------------------------------------------------------------------ evolution
    def apply_gate(self, gate, pr=None, diff: bool = False) -> int | None:
        """Apply one gate (``diff=True``: its derivative matrix, for parameterized gates).

        A measure gate collapses the state and returns the outcome (0 or 1).

        Raises:
            ValueError: qubit out of range, target used as control, missing parameter.
        """
        if is_barrier(gate):
            return None
        if is_measure(gate):
            return self._measure_gate(gate)
        if diff:
            self._apply_diff(gate, pr)
            return None
        op = compile_gate(gate, self.n_qubits, pr=pr)
        self._be.apply(self._qs, op)
        return None

    def _apply_diff(self, gate, pr) -> None:
        if not getattr(gate, "parameterized", False):
            raise ValueError(f"apply_gate(diff=True): gate {gate.name} is not parameterized.")
        from .ops import _combine, check_qubits, classify_matrix

        check_qubits(gate, self.n_qubits)
        vals = [_combine(p, pr, gate.name) for p in gate.params]
        dm = sum(np.asarray(d) for d in gate.diff_matrices_from_values(*vals))
        obj = list(gate.obj_qubits)
        op = classify_matrix(dm, obj, tuple(gate.ctrl_qubits or ()), gate.name)
        # controlled derivative: zero outside the controlled subspace
        if op.cmask:
            mask = np.arange(1 << self.n_qubits)
            keep = self._be.asarray(((mask & op.cmask) == op.cmask).astype(float))
            self._qs *= keep
        self._be.apply(self._qs, op)

    def _measure_gate(self, gate) -> int:
        q = int(gate.obj_qubits[0])
        if q >= self.n_qubits:
            raise ValueError(f"Measure {getattr(gate, 'key', '')} on qubit {q}, but the "
                             f"simulator has {self.n_qubits} qubits.")
        qs = self._be.to_numpy(self._qs)
        bit = (np.arange(qs.shape[0]) >> q) & 1
        p1 = float(np.sum(np.abs(qs[bit == 1]) ** 2))
        r = int(self._rng.random() < p1)
        qs = np.where(bit == r, qs, 0)
        self._qs = self._be.asarray(qs / np.linalg.norm(qs))
        return r

    def apply_circuit(self, circuit, pr=None) -> MeasureResult | None:
        """Apply a circuit with parameter values ``pr`` (dict or ParameterResolver).

        Measurements collapse the state; then a :class:`MeasureResult` of one shot is returned.
        """
        if getattr(circuit, "has_measure_gate", False) or any(is_measure(g) for g in circuit):
            keys, bits = [], []
            for i, g in enumerate(circuit):
                if is_measure(g):
                    keys.append(getattr(g, "key", f"m{i}"))
                    bits.append(self._measure_gate(g))
                elif not is_barrier(g):
                    self._be.apply(self._qs, compile_gate(g, self.n_qubits, pr=pr, index=i))
            return MeasureResult(keys, np.array([bits]))
        prog = Program.bound_cached(circuit, self.n_qubits, pr, self.fusion,
                                    self.fusion_max_qubits)
        ops = prog.ops
        if (self._be.name == "cpu" and self._qs.dtype == np.complex128
                and self.n_qubits < _flat.MAX_QUBITS and len(ops) > 1):
            if prog._flat is None:
                prog._flat = _flat.FlatProgram.build(ops) or False
            if prog._flat is not False:
                prog._flat.run(self._qs)
                return None
        if (self.blocking and self._be.name == "cpu"
                and self.n_qubits >= _blocking.MIN_QUBITS):
            if prog._blocked is None:
                prog._blocked = plan_blocks(prog.ops, self.n_qubits)
            ops = prog._blocked
        for op in ops:
            if isinstance(op, BlockRun):
                op.run(self._qs)
            else:
                self._be.apply(self._qs, op)
        return None

    def apply_hamiltonian(self, hamiltonian) -> None:
        """``|psi> <- H |psi>`` (not normalised, as MindQuantum)."""
        h = PauliSum.from_hamiltonian(hamiltonian, self.n_qubits)
        out = self._be.zeros(1 << self.n_qubits)
        self._be.apply_ham(self._qs, out, h)
        self._qs = out

    # ------------------------------------------------------------------ measurement
    def sampling(self, circuit, pr=None, shots: int = 1, seed: int | None = None) -> MeasureResult:
        """Sample the measure gates of ``circuit`` run on the current state (left unchanged).

        Terminal measurements are drawn from the final distribution in one go;
        mid-circuit measurements are simulated shot by shot.
        """
        if int(shots) != shots or shots < 1:
            raise ValueError(f"shots must be a positive integer, got {shots!r}.")
        rng = np.random.default_rng(seed) if seed is not None else self._rng
        gates, _, keys, qubits, terminal = measure_plan(circuit, self.n_qubits)
        if terminal:
            sim = self.copy()
            sim.apply_circuit([g for g in gates if not is_measure(g)], pr)
            probs = np.abs(sim.get_qs()) ** 2
            idx = sample_indices(probs, int(shots), rng)
            samples = np.stack([(idx >> q) & 1 for q in qubits], axis=1)
            return MeasureResult(keys, samples)
        rows = []
        for _ in range(int(shots)):
            sim = self.copy()
            sim._rng = rng
            res = sim.apply_circuit(gates, pr)
            rows.append(res.samples[0])
        return MeasureResult(keys, np.array(rows))

    # ------------------------------------------------------------------ expectations
    def get_expectation(self, hamiltonian, circ_right=None, circ_left=None, pr=None) -> complex:
        """``<0| U_l^dag H U_r |0>`` applied to the current state (``U_l = U_r`` by default)."""
        h = PauliSum.from_hamiltonian(hamiltonian, self.n_qubits)
        psi = self._qs
        if circ_right is not None:
            sim = self.copy()
            sim.apply_circuit(circ_right, pr)
            psi = sim._qs
        phi = psi
        if circ_left is not None:
            sim = self.copy()
            sim.apply_circuit(circ_left, pr)
            phi = sim._qs
        return complex(self._be.expect(phi, psi, h))

    def get_expectation_with_grad(self, hams, circ_right, circ_left=None,
                                  parallel_worker: int | None = None) -> GradOpsWrapper:
        """Adjoint-method value and gradient operator (MindQuantum's contract).

        Returns a callable ``grad_ops(encoder[B, n_enc], ansatz[n_ans]) -> (f[B, H],
        g_enc[B, H, n_enc], g_ans[B, H, n_ans])`` (complex); for a circuit with only
        ansatz (only encoder) parameters ``grad_ops(x) -> (f, g)``.
        """
        return build_grad_ops(self, hams, circ_right, circ_left, parallel_worker)

    def __repr__(self) -> str:
        return f"Simulator({self.backend!r}, {self.n_qubits}, dtype={self.dtype})"
