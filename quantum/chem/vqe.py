"""VQE: minimise <psi(theta)| H |psi(theta)> with adjoint-method gradients.

The energy and its gradient come from one call of
``Simulator.get_expectation_with_grad`` (forward pass + adjoint sweep). The
optimiser is either a ``scipy.optimize.minimize`` method (``"BFGS"``,
``"L-BFGS-B"``, ``"CG"``, ``"SLSQP"`` use the gradient; ``"COBYLA"``,
``"Nelder-Mead"``, ``"Powell"`` use energies only) or a core_autodiff
``GradientTransformation`` (``core_autodiff.optim.adam(0.05)``) or ``Optimizer`` class
(``core_autodiff.optim.Adam`` with ``options={"lr": 0.05}``), iterated until the
gradient norm is below ``gtol`` or ``maxiter`` steps.

Example:
    >>> mol = load_molecule("H2", 0.7414)
    >>> res = VQE(mol.hamiltonian(), UCCSD(mol)).run()
    >>> round(res.energy, 6)
    -1.13727
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..circuit import Circuit
from ..operators import Hamiltonian, QubitOperator
from ..simulator import Simulator

__all__ = ["VQE", "VQEResult"]

_GRADIENT_FREE = {"cobyla", "nelder-mead", "powell", "cobyqa"}


@dataclass
class VQEResult:
    """Outcome of :meth:`VQE.run` (energies in the Hamiltonian's unit, Hartree for molecules).

    Attributes:
        energy: the lowest energy found; x ``(n_params,)``: its parameters;
        params: ``{name: value}``; n_evals: energy(+gradient) evaluations;
        n_iter: optimiser iterations; history: energy after each iteration;
        success, message: from the optimiser; wall_time: seconds.
    """

    energy: float
    x: np.ndarray
    params: dict[str, float]
    n_evals: int
    n_iter: int
    history: list[float] = field(default_factory=list)
    success: bool = True
    message: str = ""
    wall_time: float = 0.0


class VQE:
    """Variational quantum eigensolver driver.

    Args:
        hamiltonian: QubitOperator or Hamiltonian.
        ansatz: a Circuit, or an object with ``.circuit`` (and optionally
            ``.initial_point``) such as :class:`UCCSD`.
        initial_point: ``(n_params,)`` start (default: the ansatz's, else zeros).
        optimizer: scipy method name, a core_autodiff ``GradientTransformation``, or a
            core_autodiff ``Optimizer`` class (built with ``options`` as keyword arguments).
        tol: scipy ``tol`` (BFGS, core_autodiff: gradient-norm tolerance ``gtol``).
        options: scipy ``options``; for core_autodiff optimizers ``gtol`` and the
            ``Optimizer`` keyword arguments.
        maxiter: iteration limit.
        verbose: print one progress line every ``print_every`` iterations.
        backend: simulator backend (``"cpu"``).
        sparse: apply the Hamiltonian as one CSR matrix (default: when it has more
            than 50 terms and at most 16 qubits).

    Raises:
        ValueError: a start point of the wrong length, or a circuit with encoder parameters.
    """

    def __init__(self, hamiltonian: QubitOperator | Hamiltonian, ansatz: Any,
                 initial_point: np.ndarray | None = None, optimizer: Any = "BFGS",
                 tol: float = 1e-8, maxiter: int = 1000, verbose: bool = False,
                 print_every: int = 1, backend: str = "cpu", sparse: bool | None = None,
                 options: dict | None = None) -> None:
        circ = ansatz if isinstance(ansatz, Circuit) else getattr(ansatz, "circuit", None)
        if not isinstance(circ, Circuit):
            raise TypeError(f"VQE ansatz must be a Circuit or have a .circuit, got "
                            f"{type(ansatz).__name__}")
        if circ.encoder_params_name:
            raise ValueError(f"VQE circuit has encoder parameters {circ.encoder_params_name}; "
                             "call circuit.as_ansatz() first")
        op = hamiltonian.ham if isinstance(hamiltonian, Hamiltonian) else hamiltonian
        if not isinstance(op, QubitOperator):
            raise TypeError(f"VQE hamiltonian must be a QubitOperator or Hamiltonian, got "
                            f"{type(hamiltonian).__name__}")
        self.n_qubits = max(circ.n_qubits, op.n_qubits, 1)
        ham = Hamiltonian(op)
        if sparse is None:
            sparse = len(op.terms) > 50 and self.n_qubits <= 16
        if sparse:
            ham.sparse(self.n_qubits)
        self.hamiltonian = ham
        self.circuit = circ
        self.params_name = list(circ.params_name)
        n = len(self.params_name)
        if initial_point is None:
            initial_point = getattr(ansatz, "initial_point", None)
        x0 = np.zeros(n) if initial_point is None else np.asarray(initial_point, dtype=float)
        if x0.shape != (n,):
            raise ValueError(f"initial_point has shape {x0.shape}; the circuit has {n} "
                             f"parameters {self.params_name[:5]}...")
        self.initial_point = x0
        self.optimizer = optimizer
        self.tol, self.maxiter = float(tol), int(maxiter)
        self.verbose, self.print_every = verbose, max(1, int(print_every))
        self.options = dict(options or {})
        self.sim = Simulator(backend, self.n_qubits)
        self.grad_ops = self.sim.get_expectation_with_grad(self.hamiltonian, circ)

    def energy_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(E, dE/dtheta (n_params,))`` at parameters ``x``."""
        f, g = self.grad_ops(np.asarray(x, dtype=float))
        return float(f[0, 0].real), np.asarray(g[0, 0].real)

    def _log(self, it: int, e: float, gnorm: float | None) -> None:
        if self.verbose and (it % self.print_every == 0):
            gs = "" if gnorm is None else f"  |grad| {gnorm:.3e}"
            print(f"VQE iter {it:4d}  E = {e:.12f}{gs}", flush=True)

    def run(self) -> VQEResult:
        """Optimise; returns a :class:`VQEResult`."""
        from core_autodiff.optim import Optimizer

        t0 = time.perf_counter()
        if isinstance(self.optimizer, str):
            res = self._run_scipy(self.optimizer)
        elif hasattr(self.optimizer, "init") and hasattr(self.optimizer, "update"):
            res = self._run_transform(self.optimizer)
        elif isinstance(self.optimizer, type) and issubclass(self.optimizer, Optimizer):
            res = self._run_stateful(self.optimizer)
        else:
            raise TypeError(f"VQE optimizer must be a scipy method name, a core_autodiff "
                            f"GradientTransformation or Optimizer class, got {self.optimizer!r}")
        res.wall_time = time.perf_counter() - t0
        if self.verbose:
            print(f"VQE done: E = {res.energy:.12f} after {res.n_iter} iterations, "
                  f"{res.n_evals} evaluations, {res.wall_time:.2f} s ({res.message})")
        return res

    def _run_scipy(self, method: str) -> VQEResult:
        import scipy.optimize as so

        state = {"n": 0, "e": np.inf, "x": self.initial_point.copy(), "g": None}
        history: list[float] = []

        def fun(x):
            e, g = self.energy_and_grad(x)
            state["n"] += 1
            if e < state["e"]:
                state.update(e=e, x=np.array(x), g=g)
            return (e, g) if gradient else e

        gradient = method.lower() not in _GRADIENT_FREE

        def callback(*args, **kwargs):
            e = state["e"]
            history.append(e)
            g = state["g"]
            self._log(len(history), e, None if (g is None or not gradient) else
                      float(np.linalg.norm(g)))

        opts = {"maxiter": self.maxiter, **self.options}
        if method.upper() == "BFGS":
            opts.setdefault("gtol", self.tol)
        out = so.minimize(fun, self.initial_point, jac=gradient, method=method,
                          tol=None if method.upper() == "BFGS" else self.tol,
                          callback=callback, options=opts)
        x = state["x"]
        return VQEResult(energy=float(state["e"]), x=x, params=self._named(x),
                         n_evals=state["n"], n_iter=int(getattr(out, "nit", len(history))),
                         history=history, success=bool(out.success), message=str(out.message))

    def _run_stateful(self, cls: type) -> VQEResult:
        from core_autodiff import Parameter

        kwargs = {k: v for k, v in self.options.items() if k != "gtol"}
        param = Parameter(self.initial_point.copy(), name="theta")
        opt = cls([param], **kwargs)
        return self._run_transform(
            None, step=lambda g, x: (opt.step([g]), np.array(param.data))[1])

    def _run_transform(self, tr: Any, step: Any = None) -> VQEResult:
        x = self.initial_point.copy()
        st = tr.init([x]) if tr is not None else None
        history: list[float] = []
        best_e, best_x = np.inf, x.copy()
        gtol = self.options.get("gtol", self.tol)
        msg, ok = "maxiter reached", False
        for it in range(1, self.maxiter + 1):
            e, g = self.energy_and_grad(x)
            if e < best_e:
                best_e, best_x = e, x.copy()
            history.append(e)
            gn = float(np.linalg.norm(g))
            self._log(it, e, gn)
            if gn < gtol:
                msg, ok = f"gradient norm {gn:.2e} < {gtol:.1e}", True
                break
            if step is not None:
                x = step(g, x)
            else:
                upd, st = tr.update([g], st, [x])
                x = x + upd[0]
        return VQEResult(energy=float(best_e), x=best_x, params=self._named(best_x),
                         n_evals=len(history), n_iter=len(history), history=history,
                         success=ok, message=msg)

    def _named(self, x: np.ndarray) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.params_name, x, strict=True)}
