"""Local energy minimization: L-BFGS (scipy.optimize) with constraints honoured.

Follows OpenMM's ``LocalEnergyMinimizer``: constraints are first replaced by
stiff harmonic penalties ``k/2 (r - d)^2`` (``k`` starts at 1e6 kJ/mol/nm^2
and grows tenfold until every constraint holds to ``1e-4`` relative), the
penalised energy is minimized by L-BFGS until the root-mean-square of all
force components (real atoms, penalty included) is below ``tolerance``
kJ/mol/nm (OpenMM 8's criterion) or ``max_iterations`` is reached; finally
the positions are projected exactly onto the constraints by SHAKE/SETTLE.
Virtual sites are placed from their parents after every move.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize as _scipy_minimize

from sponge.constraints.solver import ConstraintSolver
from sponge.state import State


def _objective(evaluate, k: float, tolerance: float):
    """``(fun, callback)`` for scipy: the callback stops once the RMS gradient < tolerance."""
    last: dict = {}

    def fun(xx: np.ndarray) -> tuple[float, np.ndarray]:
        e, g = evaluate(xx, k)
        last["x"], last["g"] = xx.copy(), g
        return e, g

    def callback(intermediate_result) -> None:
        xx = intermediate_result.x
        g = last["g"] if np.array_equal(last.get("x"), xx) else evaluate(xx, k)[1]
        if np.sqrt(np.mean(g * g)) < tolerance:
            raise StopIteration

    return fun, callback


def minimize(system, state: State, tolerance: float = 10.0, max_iterations: int = 0,
             constraint_tolerance: float = 1e-10) -> State:
    """Minimize the potential energy of ``state``.

    Args:
        system: a :class:`sponge.System`.
        state: the starting state (not modified).
        tolerance: stop when the RMS force component is below this, kJ/mol/nm.
        max_iterations: L-BFGS iteration limit (0: until converged).
        constraint_tolerance: relative tolerance of the final SHAKE projection.

    Returns:
        A new :class:`State` (velocities, box, time and step kept) with
        ``extra["minimize"] = {"energy", "initial_energy", "rms_force",
        "max_force", "iterations", "converged"}`` (kJ/mol, kJ/mol/nm).

    Raises:
        ValueError: for a non-positive tolerance or a negative iteration limit.
    """
    if not tolerance > 0:
        raise ValueError(f"minimize: tolerance must be > 0 kJ/mol/nm; got {tolerance}")
    if max_iterations < 0:
        raise ValueError(f"minimize: max_iterations must be >= 0; got {max_iterations}")
    masses = np.asarray(system.masses, dtype=np.float64)
    real = np.flatnonzero(masses > 0)
    box = state.box if state.box is not None else system.box
    work = State(positions=state.positions.copy(), box=box)
    has_sites = len(system.virtual_sites) > 0
    solver = ConstraintSolver.from_system(system, tolerance=constraint_tolerance)
    cpairs = np.asarray(system.constraints.indices, dtype=np.int64).reshape(-1, 2)
    cdist = np.asarray(system.constraints.distances, dtype=np.float64)
    n_eval = [0]

    def evaluate(x: np.ndarray, k: float) -> tuple[float, np.ndarray]:
        work.positions[real] = x.reshape(-1, 3)
        if has_sites:
            system.virtual_sites.compute_positions(work.positions)
        e, f = system.energy_forces(work)
        n_eval[0] += 1
        g = -f
        if len(cpairs):
            d = work.positions[cpairs[:, 0]] - work.positions[cpairs[:, 1]]
            r = np.linalg.norm(d, axis=1)
            dr = r - cdist
            e = e + 0.5 * k * float(dr @ dr)
            gp = (k * dr / r)[:, None] * d
            np.add.at(g, cpairs[:, 0], gp)
            np.add.at(g, cpairs[:, 1], -gp)
        return float(e), g[real].ravel()

    initial_energy = float(system.energy_forces(work)[0])
    x = work.positions[real].ravel().copy()
    k = 1.0e6
    total_iter = 0
    converged = False
    rms = np.inf
    limit = max_iterations if max_iterations > 0 else 10**9
    while True:
        fun, callback = _objective(evaluate, k, tolerance)

        res = _scipy_minimize(fun, x, jac=True, method="L-BFGS-B", callback=callback,
                              options={"maxiter": max(1, limit - total_iter), "maxfun": 10**9,
                                       "gtol": 0.0, "ftol": 0.0, "maxcor": 10})
        total_iter += int(res.nit)
        x = res.x
        g = evaluate(x, k)[1]
        rms = float(np.sqrt(np.mean(g * g)))
        converged = rms < tolerance
        work.positions[real] = x.reshape(-1, 3)
        if len(cpairs) == 0 or k >= 1e14:
            break
        rel = float(np.max(np.abs(np.linalg.norm(work.positions[cpairs[:, 0]]
                                                 - work.positions[cpairs[:, 1]], axis=1)
                                  - cdist) / cdist))
        if rel <= 1e-4 or total_iter >= limit:
            break
        k *= 10.0
    pos = work.positions
    if len(solver):
        ref = pos.copy()
        solver.apply_positions(ref, pos)
    if has_sites:
        system.virtual_sites.compute_positions(pos)
    e_final, f_final = system.energy_forces(work)
    fr = f_final[real]
    out = State(positions=pos.copy(), velocities=None if state.velocities is None
                else state.velocities.copy(), box=None if state.box is None else state.box.copy(),
                time=state.time, step=state.step, extra=dict(state.extra))
    out.extra["minimize"] = {
        "energy": float(e_final), "initial_energy": initial_energy, "rms_force": rms,
        "max_force": float(np.max(np.linalg.norm(fr, axis=1))) if len(fr) else 0.0,
        "iterations": total_iter, "evaluations": n_eval[0], "converged": bool(converged),
    }
    return out
