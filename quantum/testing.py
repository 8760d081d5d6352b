"""The one consistency checker every gate must pass: :func:`check_gate`.

Checks (each failure raises ``AssertionError`` naming the gate and the check):

1. ``matrix`` is ``(2**k, 2**k)`` complex128 and unitary (``k = n_qubits``);
2. ``hermitian().matrix() == matrix()^dagger`` and the dagger round trip
   ``hermitian().hermitian()`` gives back the matrix, name and qubits;
3. for parameterized gates: ``matrix_from_values`` agrees with ``matrix(pr)``,
   each ``diff_matrices_from_values`` entry agrees with a central finite
   difference, and ``diff_matrix(pr, name)`` with the finite difference in the
   named parameter (the chain rule through the ParameterResolver);
4. controls: with 0, 1 and 2 controls on shuffled qubits, the Kronecker-built
   full matrix equals the tensor-applied one and equals the block form
   ``diag(I, ..., I, U)`` after reordering the qubits;
5. ``is_diagonal`` / ``is_permutation`` hints are true only when the matrix is;
6. ``on`` returns a new gate and leaves the original untouched.

Noise channels get the channel checks instead: Kraus shapes, trace
preservation, complete positivity (Choi matrix), superoperator consistency.

Example:
    >>> from quantum import gates
    >>> from quantum.testing import check_gate
    >>> check_gate(gates.RX("a"))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .circuit.matrix import apply_gate_dense, gate_unitary
from .gates import NoiseChannel, ParameterGate, QuantumGate

__all__ = ["check_gate", "gate_zoo", "random_circuit"]


def _random_values(gate: QuantumGate, rng: np.random.Generator) -> dict[str, float]:
    names: list[str] = gate.params_name if isinstance(gate, ParameterGate) else []
    return {n: float(rng.uniform(-np.pi, np.pi)) for n in names}


def _fail(gate: Any, what: str, detail: str) -> None:
    raise AssertionError(f"check_gate({gate}): {what}: {detail}")


def _close(gate: Any, what: str, a: np.ndarray, b: np.ndarray, atol: float) -> None:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        _fail(gate, what, f"shape {a.shape} != {b.shape}")
    err = float(np.max(np.abs(a - b))) if a.size else 0.0
    if not err <= atol:
        _fail(gate, what, f"max abs error {err:.3g} > {atol:g}")


def _reorder(full: np.ndarray, perm: list[int], n: int) -> np.ndarray:
    """Matrix in a basis where new qubit i is old qubit perm[i]."""
    idx = np.arange(2**n)
    old = np.zeros_like(idx)
    for i, q in enumerate(perm):
        old |= ((idx >> i) & 1) << q
    return full[np.ix_(old, old)]


def check_gate(
    gate: QuantumGate,
    pr: dict[str, float] | None = None,
    seed: int = 1234,
    atol: float = 1e-10,
    fd_step: float = 1e-6,
    fd_atol: float = 1e-7,
) -> None:
    """Run every consistency check on ``gate`` (placed or not).

    Args:
        gate: the gate; its placement is ignored (the checker places it).
        pr: parameter values (default: random in [-pi, pi]).
        seed: seed of the random values and qubit shuffles.
        atol: tolerance of exact identities.
        fd_step, fd_atol: central finite-difference step and tolerance.

    Raises:
        AssertionError: describing the first failed check.
    """
    if isinstance(gate, NoiseChannel):
        _check_channel(gate, atol)
        return
    rng = np.random.default_rng(seed)
    values = _random_values(gate, rng) if pr is None else dict(pr)
    k = gate.n_qubits
    m = gate.matrix(values)
    if not isinstance(m, np.ndarray) or m.dtype != np.complex128:
        _fail(gate, "matrix dtype", f"expected complex128 ndarray, got {type(m)} {m.dtype}")
    if m.shape != (2**k, 2**k):
        _fail(gate, "matrix shape", f"{m.shape} for n_qubits={k}")
    _close(gate, "unitarity", m.conj().T @ m, np.eye(2**k), atol)

    # dagger
    herm = gate.hermitian()
    _close(gate, "hermitian() matrix vs matrix^dagger", herm.matrix(values), m.conj().T, atol)
    back = herm.hermitian()
    _close(gate, "dagger round trip", back.matrix(values), m, atol)
    if back.name != gate.name or back.obj_qubits != gate.obj_qubits:
        _fail(gate, "dagger round trip", f"name/qubits changed to {back}")

    # derivatives
    if isinstance(gate, ParameterGate):
        theta = gate.angle_values(values)
        _close(gate, "matrix_from_values vs matrix", gate.matrix_from_values(*theta), m, atol)
        dms = gate.diff_matrices_from_values(*theta)
        if len(dms) != gate.n_params:
            _fail(gate, "diff_matrices_from_values", f"{len(dms)} matrices for {gate.n_params}")
        for i in range(gate.n_params):
            tp, tm = list(theta), list(theta)
            tp[i] += fd_step
            tm[i] -= fd_step
            fd = (gate.matrix_from_values(*tp) - gate.matrix_from_values(*tm)) / (2 * fd_step)
            _close(gate, f"dM/dtheta_{i} vs finite difference", dms[i], fd, fd_atol)
        for dag in (gate, herm):
            for name in values:
                vp, vm = dict(values), dict(values)
                vp[name] += fd_step
                vm[name] -= fd_step
                fd = (dag.matrix(vp) - dag.matrix(vm)) / (2 * fd_step)
                _close(dag, f"diff_matrix(pr, {name!r}) vs finite difference",
                       dag.diff_matrix(values, name), fd, fd_atol)

    # hints
    if getattr(gate, "is_diagonal", False) and np.any(np.abs(m - np.diag(np.diag(m))) > atol):
        _fail(gate, "is_diagonal", "hint is True but the matrix is not diagonal")
    if getattr(gate, "is_permutation", False):
        nz = np.abs(m) > atol
        if not (np.all(nz.sum(0) == 1) and np.all(nz.sum(1) == 1)):
            _fail(gate, "is_permutation", "hint is True but the matrix is not a permutation")

    # placement, controls, kron vs tensor application vs block form
    for n_ctrl in (1, 2) if getattr(gate, "needs_control", False) else (0, 1, 2):
        n = k + n_ctrl + 1  # one idle qubit
        perm = [int(q) for q in rng.permutation(n)]
        obj, ctrl = perm[:k], perm[k : k + n_ctrl]
        before = (list(gate.obj_qubits), list(gate.ctrl_qubits))
        placed = gate.on(obj, ctrl if ctrl else None)
        if placed is gate or (list(gate.obj_qubits), list(gate.ctrl_qubits)) != before:
            _fail(gate, "on()", "must return a new gate and leave the original untouched")
        if placed.obj_qubits != obj or placed.ctrl_qubits != ctrl:
            _fail(gate, "on()", f"placed on {placed.obj_qubits}/{placed.ctrl_qubits}")
        full = gate_unitary(placed, n, values)
        applied = apply_gate_dense(np.eye(2**n, dtype=np.complex128), placed, n, values)
        _close(placed, "kron-built vs tensor-applied matrix", full, applied, atol)
        block = np.eye(2**n, dtype=np.complex128)
        lo = (2 ** (n_ctrl) - 1) * 2**k  # all controls set, idle qubit 0
        block[lo : lo + 2**k, lo : lo + 2**k] = m
        hi = lo + 2 ** (k + n_ctrl)  # idle qubit 1
        block[hi : hi + 2**k, hi : hi + 2**k] = m
        order = obj + ctrl + [perm[-1]]
        _close(placed, f"controlled ({n_ctrl}) block form", _reorder(full, order, n), block, atol)


def _check_channel(ch: NoiseChannel, atol: float) -> None:
    """Kraus shapes, trace preservation, complete positivity (Choi matrix), placement."""
    k = ch.n_qubits
    d = 2**k
    ops = ch.kraus_operators()
    for i, op in enumerate(ops):
        if op.shape != (d, d) or op.dtype != np.complex128:
            _fail(ch, "Kraus operator", f"{i}: shape {op.shape} dtype {op.dtype}")
    _close(ch, "trace preservation sum K^dagger K = I", sum(o.conj().T @ o for o in ops),
           np.eye(d), atol)
    # Choi matrix sum_ij |i><j| (x) E(|i><j|) must be positive semidefinite
    choi = np.zeros((d * d, d * d), dtype=np.complex128)
    for i in range(d):
        for j in range(d):
            e = np.zeros((d, d), dtype=np.complex128)
            e[i, j] = 1.0
            choi[i * d : (i + 1) * d, j * d : (j + 1) * d] = sum(o @ e @ o.conj().T for o in ops)
    if np.min(np.linalg.eigvalsh(choi)) < -atol:
        _fail(ch, "complete positivity", "Choi matrix has a negative eigenvalue")
    sup = ch.superoperator()
    a = np.random.default_rng(7).normal(size=(d, d, 2)) @ np.array([1.0, 1.0j])
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    _close(ch, "superoperator vs Kraus action", (sup @ rho.reshape(-1)).reshape(d, d),
           sum(o @ rho @ o.conj().T for o in ops), atol)
    placed = ch.on(list(range(k)))
    if placed is ch or placed.obj_qubits != list(range(k)) or ch.obj_qubits:
        _fail(ch, "on()", "must return a new placed channel and leave the original untouched")


def gate_zoo() -> list[QuantumGate]:
    """One unplaced instance of every built-in unitary gate kind (parameters named)."""
    from . import gates as G

    return [
        G.I, G.X, G.Y, G.Z, G.H, G.S, G.Sdag, G.T, G.Tdag, G.SX, G.SXdag,
        G.SWAP, G.ISWAP, G.ISWAPdag, G.CNOT, G.CZ,
        G.RX("a"), G.RY("a"), G.RZ("a"), G.PhaseShift("a"), G.GlobalPhase("a"),
        G.Rxx("a"), G.Ryy("a"), G.Rzz("a"), G.Rxy("a"), G.Rxz("a"), G.Ryz("a"),
        G.U3("a", "b", "c"), G.FSim("a", "b"), G.Givens("a"), G.SWAPalpha("a"),
        G.RX({"a": 2.0, "b": -0.5}),
        G.U3({"a": 0.5}, {"a": -1.0, "b": 2.0}, 0.3),
    ]


def random_circuit(
    n_qubits: int,
    n_gates: int,
    seed: int | None = None,
    ctrl_rate: float = 0.3,
    params: tuple[str, ...] = ("p0", "p1", "p2", "p3"),
    kinds: list[QuantumGate] | None = None,
) -> Any:
    """Random circuit of all gate kinds on ``n_qubits`` (for tests and benchmarks).

    Args:
        n_qubits: register width (>= 2).
        n_gates: number of gates.
        seed: RNG seed.
        ctrl_rate: probability that a gate gets controls (1 or 2 when room).
        params: parameter names drawn for parameterized gates (random linear
            combinations of one or two of them, plus a constant).
        kinds: gate prototypes to draw from (default :func:`gate_zoo`).
    """
    from .circuit import Circuit
    from .parameterresolver import ParameterResolver

    rng = np.random.default_rng(seed)
    kinds = [g for g in (kinds or gate_zoo()) if g.n_qubits <= n_qubits]
    circ = Circuit()
    for _ in range(n_gates):
        proto = kinds[int(rng.integers(len(kinds)))]
        if isinstance(proto, ParameterGate):
            new_params = []
            for _p in proto.params:
                chosen = rng.choice(len(params), size=int(rng.integers(1, 3)), replace=False)
                pr = ParameterResolver(
                    {params[int(i)]: float(rng.normal()) for i in chosen},
                    const=float(rng.normal()),
                )
                new_params.append(pr)
            proto = proto._copy()
            proto.params = new_params
        qubits = [int(q) for q in rng.permutation(n_qubits)]
        obj = qubits[: proto.n_qubits]
        room = n_qubits - proto.n_qubits
        n_ctrl = 0
        if room and (getattr(proto, "needs_control", False) or rng.random() < ctrl_rate):
            n_ctrl = int(rng.integers(1, min(2, room) + 1))
        ctrl = qubits[proto.n_qubits : proto.n_qubits + n_ctrl]
        circ.append(proto.on(obj, ctrl if ctrl else None))
    return circ
