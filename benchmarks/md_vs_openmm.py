"""ns/day of sponge vs OpenMM's CPU platform on the same systems and settings.

Systems (issue 4):
  villin   openmm/app/data/test.pdb, amber14-all + amber14/tip3p, PME 0.9 nm, HBonds,
           rigid water, LangevinMiddle 300 K, 1/ps, 2 fs (8,867 atoms)
  water24k TIP3P box of ~24,000 atoms (Modeller, 6.2 nm), same settings
  ala2     alanine dipeptide in vacuum (the shared ala2 gb1 files, shipped in sponge/data, no GB),
           NoCutoff, no constraints, LangevinMiddle 300 K, 1 fs; OpenMM CPU and Reference

Each (system, engine, threads) runs in its own subprocess with NUMBA_NUM_THREADS /
OMP_NUM_THREADS / OpenMM CpuThreads set to the thread count, so that peak memory
(resource.getrusage ru_maxrss) is per run. Both engines start from the same
OpenMM-minimised positions and 300 K velocities; a warm-up (numba compile,
neighbour-list build) precedes the timed repeats; the figure is the median of
the repeats. For sponge, the time of each force term (timed alone at fixed
positions), the neighbour-list rebuilds amortised per step, and the rest
(integrator, constraints, Python, timing noise) per step are printed too.

Usage: python benchmarks/md_vs_openmm.py [--systems villin water24k ala2] [--threads 1 2]
       [--repeats 3] [--scale 1.0]
Prints one JSON line per measurement and one per comparison (ratio = sponge / OpenMM).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALA2 = ROOT / "sponge" / "data"  # alanine dipeptide in vacuum (the SPONGE reference files)

# steps per timed repeat at --scale 1 (sponge, openmm)
STEPS = {"villin": (20, 100), "water24k": (10, 40), "ala2": (2000, 5000)}


def _build(name: str):
    """OpenMM system, topology, positions and the integrator settings of ``name``."""
    from openmm import app, unit

    if name in ("villin", "water24k"):
        ff = app.ForceField("amber14-all.xml", "amber14/tip3p.xml")
        if name == "villin":
            pdb = app.PDBFile(os.path.join(os.path.dirname(app.__file__), "data", "test.pdb"))
            top, pos = pdb.topology, pdb.positions
        else:
            m = app.Modeller(app.Topology(), [])
            m.addSolvent(ff, model="tip3p", boxSize=(6.2, 6.2, 6.2) * unit.nanometer)
            top, pos = m.topology, m.positions
        omm = ff.createSystem(top, nonbondedMethod=app.PME, nonbondedCutoff=0.9 * unit.nanometer,
                              constraints=app.HBonds, rigidWater=True)
        return omm, top, pos, 0.002
    prm = app.AmberPrmtopFile(str(ALA2 / "ala2_vacuum.parm7"))
    crd = app.AmberInpcrdFile(str(ALA2 / "ala2_vacuum.rst7"))
    omm = prm.createSystem(nonbondedMethod=app.NoCutoff, constraints=None)
    return omm, prm.topology, crd.positions, 0.001


def _prepare(name: str, threads: int):
    """Minimised positions and 300 K velocities (OpenMM CPU), shared by both engines."""
    import openmm
    from openmm import unit

    omm, top, pos, dt = _build(name)
    integ = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, dt)
    ctx = openmm.Context(omm, integ, openmm.Platform.getPlatformByName("CPU"),
                         {"Threads": str(threads)})
    if top.getPeriodicBoxVectors() is not None:
        ctx.setPeriodicBoxVectors(*top.getPeriodicBoxVectors())
    ctx.setPositions(pos)
    openmm.LocalEnergyMinimizer.minimize(ctx, 10.0, 200)
    ctx.setVelocitiesToTemperature(300 * unit.kelvin, 1)
    st = ctx.getState(getPositions=True, getVelocities=True)
    return omm, top, st.getPositions(), st.getVelocities(), st.getPeriodicBoxVectors(), dt


def _worker(name: str, engine: str, threads: int, repeats: int, scale: float) -> dict:
    import numpy as np
    import openmm
    from openmm import unit

    omm, top, pos, vel, box, dt = _prepare(name, threads)
    n_atoms = omm.getNumParticles()
    steps = max(1, int(STEPS[name][0 if engine == "sponge" else 1] * scale))
    times = []
    profile = None
    if engine == "sponge":
        import sponge

        system, state = sponge.from_openmm(omm, pos, box=box, topology=top)
        state.velocities = np.asarray(vel.value_in_unit(unit.nanometer / unit.picosecond))
        integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, dt)
        sim = sponge.Simulation(system, integ, state, seed=1)
        lists = [t.neighbor_list for t in system.terms
                 if getattr(t, "neighbor_list", None) is not None]
        t0 = time.perf_counter()
        sim.run(max(2, steps // 5))  # warm-up: numba compile (cache), neighbour list
        warm = time.perf_counter() - t0
        builds0 = sum(nl.n_builds for nl in lists)
        for _ in range(repeats):
            t0 = time.perf_counter()
            sim.run(steps)
            times.append(time.perf_counter() - t0)
        builds = sum(nl.n_builds for nl in lists) - builds0
        # per-term cost, median of a few calls at the current positions
        x = sim.state.positions.copy()
        system.virtual_sites.compute_positions(x)
        profile = {}
        for term in system.terms:
            ts = []
            for _ in range(5 if n_atoms > 1000 else 50):
                t0 = time.perf_counter()
                term.energy_forces(x, sim.state.box)
                ts.append(time.perf_counter() - t0)
            profile[term.name] = 1e3 * statistics.median(ts)
        step_ms = 1e3 * statistics.median(times) / steps
        if lists:  # neighbour-list rebuilds, amortised per step
            t0 = time.perf_counter()
            for nl in lists:
                nl.build(x, sim.state.box)
            build_ms = 1e3 * (time.perf_counter() - t0)
            profile["neighbor_list_rebuild (amortised)"] = build_ms * builds / (steps * repeats)
            profile["neighbor_list_builds_per_100_steps"] = 100.0 * builds / (steps * repeats)
        timed = sum(v for k, v in profile.items() if not k.startswith("neighbor_list_builds"))
        # the rest: integrator kernels, constraints, Python, plus timing noise (the terms are
        # timed separately at fixed positions, the step in a running simulation)
        profile["rest (integrator, constraints, python, noise)"] = step_ms - timed
        profile = {k: round(v, 4) for k, v in profile.items()}
    else:
        platform = "Reference" if engine == "openmm-reference" else "CPU"
        props = {"Threads": str(threads)} if platform == "CPU" else {}
        integ = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, dt)
        ctx = openmm.Context(omm, integ, openmm.Platform.getPlatformByName(platform), props)
        if box is not None:
            ctx.setPeriodicBoxVectors(*box)
        ctx.setPositions(pos)
        ctx.setVelocities(vel)
        t0 = time.perf_counter()
        integ.step(max(2, steps // 5))
        ctx.getState(getEnergy=True)
        warm = time.perf_counter() - t0
        for _ in range(repeats):
            t0 = time.perf_counter()
            integ.step(steps)
            ctx.getState(getEnergy=True)  # forces completion
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    out = {
        "system": name, "engine": engine, "threads": threads, "atoms": n_atoms,
        "timestep_ps": dt, "steps_per_repeat": steps, "repeats": repeats,
        "seconds_median": round(med, 5), "ms_per_step": round(1e3 * med / steps, 4),
        "ns_per_day": round(steps * dt * 1e-3 / med * 86400.0, 4),
        "warmup_s": round(warm, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    }
    if profile is not None:
        out["sponge_ms_per_step_by_term"] = profile
    return out


def _run_sub(name: str, engine: str, threads: int, repeats: int, scale: float) -> dict | None:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENMM_CPU_THREADS=str(threads), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, __file__, "--worker", name, engine, str(threads),
           "--repeats", str(repeats), "--scale", str(scale)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    print(json.dumps({"system": name, "engine": engine, "threads": threads,
                      "error": (r.stderr or r.stdout)[-1500:]}), flush=True)
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--systems", nargs="+", default=["ala2", "villin", "water24k"])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--scale", type=float, default=1.0, help="multiply the step counts")
    p.add_argument("--worker", nargs=3, metavar=("SYSTEM", "ENGINE", "THREADS"))
    a = p.parse_args()
    if a.worker:
        name, engine, threads = a.worker
        print(json.dumps(_worker(name, engine, int(threads), a.repeats, a.scale)), flush=True)
        return
    for name in a.systems:
        for threads in a.threads:
            res = {}
            engines = ["sponge", "openmm-cpu"] + (["openmm-reference"] if name == "ala2"
                                                  and threads == 1 else [])
            for engine in engines:
                r = _run_sub(name, engine, threads, a.repeats, a.scale)
                if r is not None:
                    print(json.dumps(r), flush=True)
                    res[engine] = r
            for peer in ("openmm-cpu", "openmm-reference"):
                if "sponge" in res and peer in res:
                    print(json.dumps({
                        "system": name, "threads": threads, "peer": peer,
                        "sponge_ns_per_day": res["sponge"]["ns_per_day"],
                        "peer_ns_per_day": res[peer]["ns_per_day"],
                        "ratio_sponge_over_peer": round(res["sponge"]["ns_per_day"]
                                                        / res[peer]["ns_per_day"], 4),
                        "sponge_peak_rss_mb": res["sponge"]["peak_rss_mb"],
                        "peer_peak_rss_mb": res[peer]["peak_rss_mb"]}), flush=True)


if __name__ == "__main__":
    main()
