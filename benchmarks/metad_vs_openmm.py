"""Well-tempered metadynamics on alanine dipeptide (phi, psi): sponge vs OpenMM, ns/day.

Workload: the shipped alanine dipeptide in vacuum (sponge/data, Amber ff14SB),
NoCutoff, HBonds constraints, LangevinMiddle 300 K, 1/ps, 2 fs; WT-metadynamics
on phi (4-6-8-14) and psi (6-8-14-16): height 1.2 kJ/mol, sigma 0.35 rad, bias
factor 6, a hill every ``--pace`` steps, a 64 x 64 periodic grid. OpenMM uses
``openmm.app.Metadynamics`` (a CustomCVForce over two CustomTorsionForces, its
bias grid as a tabulated function) on its CPU platform with the same threads.
Both engines run in this process; each first runs a warm-up (numba compile,
OpenMM kernel compile), then ``--repeats`` timed runs of ``--steps`` steps; the
figure is the median. Unbiased runs of both engines are timed too, so the cost
of the bias itself shows.

Usage: python benchmarks/metad_vs_openmm.py [--steps 5000] [--repeats 3] [--pace 100]
Prints JSON lines: one per (engine, biased) measurement and the sponge/OpenMM ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ALA2 = ROOT / "sponge" / "data"
PHI, PSI = (4, 6, 8, 14), (6, 8, 14, 16)
DT = 0.002


def _openmm_setup(biased: bool, pace: int, threads: int):
    import openmm
    from openmm import app, unit

    prm = app.AmberPrmtopFile(str(ALA2 / "ala2_vacuum.parm7"))
    crd = app.AmberInpcrdFile(str(ALA2 / "ala2_vacuum.rst7"))
    system = prm.createSystem(nonbondedMethod=app.NoCutoff, constraints=app.HBonds)
    meta = None
    if biased:
        import math

        from openmm.app.metadynamics import BiasVariable, Metadynamics

        cvs = []
        for atoms in (PHI, PSI):
            f = openmm.CustomTorsionForce("theta")
            f.addTorsion(*atoms)
            cvs.append(BiasVariable(f, -math.pi, math.pi, 0.35, True, 64))
        meta = Metadynamics(system, cvs, 300.0 * unit.kelvin, 6.0,
                            1.2 * unit.kilojoules_per_mole, pace)
    integ = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, DT)
    sim = app.Simulation(prm.topology, system, integ, openmm.Platform.getPlatformByName("CPU"),
                         {"Threads": str(threads)})
    sim.context.setPositions(crd.positions)
    sim.minimizeEnergy(maxIterations=200)
    sim.context.setVelocitiesToTemperature(300 * unit.kelvin, 1)
    return sim, meta


def _time_openmm(biased: bool, steps: int, repeats: int, pace: int, threads: int) -> list:
    sim, meta = _openmm_setup(biased, pace, threads)

    def run(n):
        if meta is not None:
            meta.step(sim, n)
        else:
            sim.step(n)
        sim.context.getState(getEnergy=True)

    run(max(pace, steps // 5))
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(steps)
        out.append(time.perf_counter() - t0)
    return out


def _time_sponge(biased: bool, steps: int, repeats: int, pace: int) -> list:
    import sponge
    from sponge.cv import Dihedral

    system, state = sponge.load_amber(ALA2 / "ala2_vacuum.parm7", ALA2 / "ala2_vacuum.rst7",
                                      nonbonded="NoCutoff", constraints="HBonds")
    bias = None
    if biased:
        bias = sponge.Metadynamics([Dihedral(*PHI, name="phi"), Dihedral(*PSI, name="psi")],
                                   300.0, height=1.2, sigma=[0.35, 0.35], bias_factor=6.0,
                                   pace=pace, grid_bins=[64, 64])
    sim = sponge.Simulation(system, sponge.LangevinMiddleIntegrator(300.0, 1.0, DT), state,
                            bias=bias, seed=1)
    sim.minimize(max_iterations=200)
    sim.set_velocities_to_temperature(300.0, seed=1)
    sim.run(max(pace, steps // 5))
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.run(steps)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pace", type=int, default=100)
    args = ap.parse_args()
    threads = int(os.environ.get("NUMBA_NUM_THREADS", os.cpu_count() or 1))
    res = {}
    for biased in (False, True):
        for engine in ("sponge", "openmm"):
            ts = (_time_sponge(biased, args.steps, args.repeats, args.pace) if engine == "sponge"
                  else _time_openmm(biased, args.steps, args.repeats, args.pace, threads))
            med = statistics.median(ts)
            ns_day = args.steps * DT * 1e-3 / med * 86400.0
            res[(engine, biased)] = med
            print(json.dumps({"benchmark": "metad_ala2_vacuum", "engine": engine,
                              "metadynamics": biased, "steps": args.steps, "pace": args.pace,
                              "threads": threads, "median_s": round(med, 4),
                              "ms_per_step": round(1e3 * med / args.steps, 4),
                              "ns_per_day": round(ns_day, 2)}), flush=True)
    for biased in (False, True):
        print(json.dumps({"benchmark": "metad_ala2_vacuum", "metadynamics": biased,
                          "ratio_time_sponge_over_openmm": round(
                              res[("sponge", biased)] / res[("openmm", biased)], 3)}))
    print(json.dumps({"benchmark": "metad_ala2_vacuum", "bias_overhead_ms_per_step": {
        e: round(1e3 * (res[(e, True)] - res[(e, False)]) / args.steps, 4)
        for e in ("sponge", "openmm")}}))


if __name__ == "__main__":
    main()
