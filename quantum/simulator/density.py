"""The density-matrix simulator: noisy circuits (MindQuantum's ``mqmatrix`` backend).

``Simulator("density", n_qubits)`` (alias ``"mqmatrix"``) returns a
:class:`DensityMatrixSimulator`. Its state is ``rho``, a ``(2**n, 2**n)``
complex128 density matrix (qubit 0 = least significant bit of the row and
column indices, as in the state-vector backend), starting at ``|0><0|``.
Gates act as ``rho -> U rho U^dagger`` and noise channels
(``gates.DepolarizingChannel(p)``, ``BitFlipChannel``, ``PauliChannel``,
``AmplitudeDampingChannel``, ``PhaseDampingChannel``, ``KrausChannel``...) as
``rho -> sum_i K_i rho K_i^dagger``, exactly (no trajectories); see
:mod:`.density_ops` for the kernels and :mod:`.density_grad` for the adjoint
gradient of noisy expectations.

The state-vector ``Simulator("cpu")`` does not simulate channels: a circuit
with a channel raises ``ValueError`` naming the channel and pointing here.

Example:
    >>> sim = Simulator("density", 1)
    >>> circ = Circuit([gates.RY("t").on(0), gates.DepolarizingChannel(0.1).on(0)])
    >>> ops = sim.get_expectation_with_grad(Hamiltonian(QubitOperator("Z0")), circ)
    >>> f, g = ops(np.array([0.4]))   # f = 0.9 cos 0.4, g = -0.9 sin 0.4
"""

from __future__ import annotations

import numpy as np

from ..kernels import density_kernels as dk
from .density_grad import build_density_grad_ops, hamiltonian_matrix
from .density_ops import DensityProgram
from .grad_ops import GradOpsWrapper
from .measure import MeasureResult, measure_plan, sample_indices
from .ops import is_barrier, is_measure
from .simulator import Simulator

#: backend names that select this simulator in ``Simulator(...)``
DENSITY_NAMES = ("density", "mqmatrix")
#: ``set_qs`` checks all eigenvalues of a density matrix up to this dimension (8 qubits)
PSD_CHECK_MAX_DIM = 256


class DensityMatrixSimulator(Simulator):
    """Density-matrix simulator (CPU, numba kernels).

    Args:
        backend: "density" or "mqmatrix".
        n_qubits: register width (memory ``16 * 4**n`` bytes: 16 MiB at 10 qubits,
            4 GiB at 14).
        seed: seed of the sampling random generator.
        dtype: only ``np.complex128``.

    Raises:
        ValueError: bad ``n_qubits`` or dtype.
        MemoryError: the density matrix does not fit (the message gives its size).
    """

    def __init__(self, backend: str = "density", n_qubits: int = 1, seed: int | None = None,
                 dtype=np.complex128, **_ignored):
        if int(n_qubits) != n_qubits or n_qubits < 1:
            raise ValueError(f"n_qubits must be a positive integer, got {n_qubits!r}.")
        if np.dtype(dtype) != np.complex128:
            raise ValueError(f"density backend: dtype must be complex128, got {np.dtype(dtype)}.")
        self.n_qubits = int(n_qubits)
        self.backend = backend
        self.dtype = np.dtype(np.complex128)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        dim = 1 << self.n_qubits
        try:
            self._rho = np.zeros((dim, dim), dtype=np.complex128)
        except MemoryError:
            raise MemoryError(f"density backend: a density matrix of {self.n_qubits} qubits "
                              f"needs {16 * dim * dim / 2**30:.3g} GiB.") from None
        self._rho[0, 0] = 1.0

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Back to ``|0...0><0...0|``."""
        self._rho[:] = 0
        self._rho[0, 0] = 1.0

    def get_qs(self, ket: bool = False):
        """A copy of ``rho`` ``(2**n, 2**n)``; ``ket=True``: the ket string of a pure state.

        Raises:
            ValueError: ``ket=True`` on a mixed state (purity < 1 - 1e-8).
        """
        rho = self._rho.copy()
        if not ket:
            return rho
        if self.purity() < 1 - 1e-8:
            raise ValueError(f"get_qs(ket=True): the state is mixed (purity {self.purity():.6g}); "
                             "only a pure state has a ket.")
        psi = self.get_pure_state_vector()
        return " + ".join(f"({a:.4g})|{i:0{self.n_qubits}b}>"
                          for i, a in enumerate(psi) if abs(a) > 1e-8)

    def set_qs(self, quantum_state) -> None:
        """Set the state from a state vector ``(2**n,)`` (-> ``|psi><psi|``) or a density matrix.

        Both are normalised (vector norm, matrix trace).

        Raises:
            ValueError: wrong shape, zero norm/trace, a non-Hermitian matrix, a negative
                diagonal entry, or (up to ``PSD_CHECK_MAX_DIM``, where the ``O(d**3)``
                eigenvalue check is affordable) a negative eigenvalue (below -1e-8).
        """
        a = np.asarray(quantum_state, dtype=np.complex128)
        dim = 1 << self.n_qubits
        if a.ndim == 1:
            if a.shape[0] != dim:
                raise ValueError(f"set_qs: state of length {a.shape[0]} does not fit "
                                 f"{self.n_qubits} qubits (expected {dim}).")
            nrm = np.linalg.norm(a)
            if not np.isfinite(nrm) or nrm == 0:
                raise ValueError("set_qs: the state has zero or non-finite norm.")
            a = a / nrm
            self._rho = np.ascontiguousarray(np.outer(a, a.conj()))
            return
        if a.shape != (dim, dim):
            raise ValueError(f"set_qs: array of shape {a.shape} is neither a state vector "
                             f"({dim},) nor a density matrix ({dim}, {dim}) of {self.n_qubits} "
                             "qubits.")
        err = float(np.max(np.abs(a - a.conj().T)))
        if err > 1e-8:
            raise ValueError(f"set_qs: density matrix is not Hermitian (max |rho - rho^dagger| "
                             f"= {err:.2e}).")
        tr = np.trace(a).real
        if not np.isfinite(tr) or tr <= 0:
            raise ValueError(f"set_qs: density matrix has trace {tr}; expected a positive trace.")
        lo = float(np.min(np.diag(a).real)) / tr
        if lo >= -1e-8 and dim <= PSD_CHECK_MAX_DIM:
            lo = float(np.linalg.eigvalsh(a).min()) / tr
        if lo < -1e-8:
            raise ValueError(f"set_qs: density matrix is not positive semidefinite (eigenvalue "
                             f"or diagonal entry {lo:.3e} after normalising the trace).")
        self._rho = np.ascontiguousarray(a / tr)

    def copy(self) -> DensityMatrixSimulator:
        """An independent simulator with the same state."""
        sim = DensityMatrixSimulator(self.backend, self.n_qubits, self.seed)
        sim._rho = self._rho.copy()
        return sim

    def purity(self) -> float:
        """``Tr(rho^2)``."""
        return float(np.vdot(self._rho, self._rho).real)

    def get_pure_state_vector(self) -> np.ndarray:
        """The state vector of a pure ``rho`` (the top eigenvector, global phase fixed so the
        largest amplitude is real positive)."""
        w, vecs = np.linalg.eigh(self._rho)
        psi = vecs[:, -1]
        k = int(np.argmax(np.abs(psi)))
        return psi * (abs(psi[k]) / psi[k])

    def get_reduced_density_matrix(self, kept_qubits) -> np.ndarray:
        """Partial trace over all qubits but ``kept_qubits``; ``(2**m, 2**m)`` with
        ``kept_qubits[0]`` the least significant bit.

        Raises:
            ValueError: a qubit out of range or repeated.
        """
        kept = [int(q) for q in np.atleast_1d(kept_qubits)]
        n = self.n_qubits
        if len(set(kept)) != len(kept) or any(q < 0 or q >= n for q in kept):
            raise ValueError(f"get_reduced_density_matrix: kept qubits {kept} must be distinct "
                             f"and in 0..{n - 1}.")
        t = self._rho.reshape([2] * (2 * n))  # axis a <-> row qubit n-1-a; n+a <-> column
        traced = [q for q in range(n) if q not in kept]
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        rows = [letters[q] for q in range(n)]
        cols = [letters[n + q] for q in range(n)]
        for q in traced:
            cols[q] = rows[q]
        src = "".join(rows[n - 1 - a] for a in range(n)) + "".join(cols[n - 1 - a]
                                                                  for a in range(n))
        dst = "".join(rows[q] for q in reversed(kept)) + "".join(cols[q] for q in reversed(kept))
        m = 1 << len(kept)
        return np.einsum(f"{src}->{dst}", t).reshape(m, m)

    get_partial_trace = get_reduced_density_matrix

    # ------------------------------------------------------------------ evolution
    def _run(self, circuit, pr) -> None:
        prog = DensityProgram.cached(circuit, self.n_qubits)
        v = prog.run_values(self._rho.reshape(-1), pr)
        self._rho = v.reshape(self._rho.shape)

    def apply_gate(self, gate, pr=None, diff: bool = False) -> int | None:
        """Apply one gate or channel (a measure gate collapses ``rho``; returns 0 or 1).

        Raises:
            ValueError: qubit out of range, missing parameter value.
            NotImplementedError: ``diff=True`` (no derivative-gate action on density matrices).
        """
        if diff:
            raise NotImplementedError("density backend: apply_gate(diff=True) is not supported.")
        if is_barrier(gate):
            return None
        if is_measure(gate):
            return self._measure_gate(gate)
        self._run([gate], pr)
        return None

    def _measure_gate(self, gate) -> int:
        q = int(gate.obj_qubits[0])
        if q >= self.n_qubits:
            raise ValueError(f"Measure {getattr(gate, 'key', '')} on qubit {q}, but the "
                             f"simulator has {self.n_qubits} qubits.")
        bit = (np.arange(1 << self.n_qubits) >> q) & 1
        diag = np.diag(self._rho).real
        p1 = float(np.clip(diag[bit == 1].sum(), 0.0, 1.0))
        r = int(self._rng.random() < p1)
        keep = (bit == r)
        rho = self._rho * np.outer(keep, keep)
        self._rho = np.ascontiguousarray(rho / np.trace(rho).real)
        return r

    def apply_circuit(self, circuit, pr=None) -> MeasureResult | None:
        """Apply gates and channels with parameter values ``pr`` (dict or ParameterResolver).

        Measurements collapse ``rho``; then a one-shot :class:`MeasureResult` is returned.
        """
        gates = list(circuit)
        if not any(is_measure(g) for g in gates):
            self._run(gates, pr)
            return None
        keys, bits, seg = [], [], []
        for i, g in enumerate(gates):
            if is_measure(g):
                self._run(seg, pr)
                seg = []
                keys.append(getattr(g, "key", f"m{i}"))
                bits.append(self._measure_gate(g))
            else:
                seg.append(g)
        self._run(seg, pr)
        return MeasureResult(keys, np.array([bits]))

    def apply_hamiltonian(self, hamiltonian) -> None:
        """``rho <- H rho H^dagger`` (not normalised)."""
        h = hamiltonian_matrix(hamiltonian, self.n_qubits)
        self._rho = np.ascontiguousarray(h @ self._rho @ h.conj().T)

    # ------------------------------------------------------------------ measurement
    def sampling(self, circuit, pr=None, shots: int = 1, seed: int | None = None
                 ) -> MeasureResult:
        """Sample the measure gates of ``circuit`` (noise included) on the current state.

        Terminal measurements are drawn from ``diag(rho)`` in one go; mid-circuit
        measurements are simulated shot by shot. The simulator's state is unchanged.
        """
        if int(shots) != shots or shots < 1:
            raise ValueError(f"shots must be a positive integer, got {shots!r}.")
        rng = np.random.default_rng(seed) if seed is not None else self._rng
        gates, _, keys, qubits, terminal = measure_plan(circuit, self.n_qubits)
        if terminal:
            sim = self.copy()
            sim._run([g for g in gates if not is_measure(g)], pr)
            probs = np.clip(dk.diag_real(sim._rho.reshape(-1), self.n_qubits), 0.0, None)
            idx = sample_indices(probs, int(shots), rng)
            return MeasureResult(keys, np.stack([(idx >> q) & 1 for q in qubits], axis=1))
        # mid-circuit measurements: compile the stretches between them once, run shot by shot
        steps, seg = [], []
        for g in gates + [None]:
            if g is None or is_measure(g):
                prog = DensityProgram.build(seg, self.n_qubits)
                steps.append((prog, prog.matrices(prog.theta(prog.values_from(pr)))))
                seg = []
                if g is not None:
                    steps.append(g)
            else:
                seg.append(g)
        rows = []
        for _ in range(int(shots)):
            sim = self.copy()
            sim._rng = rng
            bits = []
            for st in steps:
                if isinstance(st, tuple):
                    v = st[0].run(sim._rho.reshape(-1), st[1])
                    sim._rho = v.reshape(sim._rho.shape)
                else:
                    bits.append(sim._measure_gate(st))
            rows.append(bits)
        return MeasureResult(keys, np.array(rows))

    # ------------------------------------------------------------------ expectations
    def get_expectation(self, hamiltonian, circ_right=None, circ_left=None, pr=None) -> complex:
        """``Tr(H rho')`` with ``rho'`` the current state run through ``circ_right``.

        Raises:
            NotImplementedError: ``circ_left`` (not defined for mixed states here).
        """
        if circ_left is not None:
            raise NotImplementedError("density backend: get_expectation with circ_left is not "
                                      "supported.")
        rho = self._rho
        if circ_right is not None:
            sim = self.copy()
            sim._run(circ_right, pr)
            rho = sim._rho
        h = hamiltonian_matrix(hamiltonian, self.n_qubits)
        return complex(np.sum(h.T * rho))

    def get_expectation_with_grad(self, hams, circ_right, circ_left=None,
                                  parallel_worker: int | None = None) -> GradOpsWrapper:
        """Adjoint-method value and gradient operator of ``Tr(H rho(theta))`` for noisy circuits.

        Same contract as the state-vector backend: ``grad_ops(encoder[B, n_enc],
        ansatz[n_ans]) -> (f[B, H], g_enc[B, H, n_enc], g_ans[B, H, n_ans])`` (complex
        arrays with zero imaginary part); one input for circuits with one kind of parameter.
        Channels have fixed parameters. The current state is the initial ``rho``.

        Raises:
            ValueError: a non-Hermitian Hamiltonian, a measure gate, bad parameter names.
            NotImplementedError: ``circ_left``.
        """
        return build_density_grad_ops(self, hams, circ_right, circ_left, parallel_worker)

    def __repr__(self) -> str:
        return f"Simulator({self.backend!r}, {self.n_qubits}, density matrix)"
