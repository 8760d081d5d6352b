"""Cost of a SITS step against a plain step on the ala2 / TIP3P SITS benchmark system.

Workload: ``shared/data/ala2_sits_tip3p`` (1840 atoms, 22 solute), PME 0.8 nm,
bonds to H constrained, LangevinMiddle 300 K, 2 fs; SITS on the solute with
100 temperatures 273-650 K in production mode (n_k fixed, the usual cost; an
iteration-mode step adds one n_k record, about a microsecond). The plain and
the SITS simulation start from the same state and alternate in timed blocks
(so machine load hits both alike); the figures are medians of the repeats, after
a warm-up that compiles every kernel. Also printed: the time of the selected
energy ``(E_s, F_s)`` alone and of the full force evaluation alone.

No peer runs this workload in this environment (SPONGE is CUDA-only); the
figure of merit is the SITS / plain ratio (SPONGE's design target: a few percent).

Usage: python benchmarks/sits_overhead.py [--steps 50] [--repeats 7]
Prints JSON lines.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "sponge"))

from ala2_sits import DATA, build  # noqa: E402

import sponge  # noqa: E402


def _time(fn, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    if not DATA.exists():
        print(json.dumps({"skipped": f"{DATA} not found"}))
        return
    system, state = build(DATA)
    sims = {}
    for kind in ("plain", "sits"):
        bias = None
        if kind == "sits":
            bias = sponge.SITS(t_low=273.0, t_high=650.0, n_temperatures=100,
                               update_interval=20, mode="production")
        st = copy.deepcopy(state)
        sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002), st,
                                bias=bias, seed=1)
        sims[kind] = sim
    sims["plain"].minimize(max_iterations=200)
    for sim in sims.values():
        sim.state.positions[...] = sims["plain"].state.positions
        sim.set_velocities_to_temperature(300.0, seed=1)
        sim.integrator.invalidate()
        sim.run(2 * a.steps)  # warm-up: compile, neighbour list
    times = {"plain": [], "sits": []}
    for _ in range(a.repeats):
        for kind, sim in sims.items():
            t = time.perf_counter()
            sim.run(a.steps)
            times[kind].append((time.perf_counter() - t) / a.steps)
    plain = statistics.median(times["plain"])
    sits = statistics.median(times["sits"])
    bias = sims["sits"].bias
    st = sims["sits"].state
    t_sel = statistics.median(_time(lambda: bias.selected_energy_forces(st), 20)
                              for _ in range(a.repeats))
    t_full = statistics.median(_time(lambda: system.energy_forces(st), 5)
                               for _ in range(a.repeats))
    print(json.dumps({"workload": "ala2_tip3p_1840_pme_step", "plain_ms": plain * 1e3,
                      "sits_ms": sits * 1e3, "ratio": sits / plain,
                      "selected_energy_ms": t_sel * 1e3, "full_forces_ms": t_full * 1e3,
                      "selected_over_full": t_sel / t_full, "steps": a.steps,
                      "repeats": a.repeats}))


if __name__ == "__main__":
    main()
