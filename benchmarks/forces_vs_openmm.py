"""One energy+force evaluation on villin in water: sponge vs OpenMM's CPU platform.

System: OpenMM's ``app/data/test.pdb`` (villin headpiece + TIP3P, 8,867 atoms),
amber14-all + amber14/tip3p, PME with a 0.9 nm cutoff, default
ewaldErrorTolerance 5e-4, dispersion correction on, no constraints (they do not
change a force evaluation). For each thread count (1 and 2: numba threads and
scipy.fft workers for sponge, the ``CpuThreads`` property for OpenMM) it times,
in one process:

- ``sponge_full``: ``system.energy_forces(state)`` of the whole system translated
  by ``sponge.from_openmm`` (bonded terms + nonbonded + PME);
- ``sponge_nonbonded``: the NonbondedTerm alone (direct space + exceptions + PME);
- ``sponge_nonbonded_rebuild``: the same with the neighbour list rebuilt every
  call (the worst case; in MD it is rebuilt only when an atom moved > skin/2);
- OpenMM: ``context.getState(getEnergy=True, getForces=True)`` on the CPU
  platform, for the full system and for a system holding only the
  NonbondedForce (the like-for-like reference of the two nonbonded figures).

Each figure is the median of ``--repeats`` calls after a warm-up (numba compile
excluded). Prints one JSON line per (thread count, measurement) with both times
in ms and the ratio sponge/OpenMM. Run: ``python benchmarks/forces_vs_openmm.py``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# idle numba/OpenMP threads sleep instead of spinning (see sponge/nonbonded/__init__.py)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _median_ms(fn, repeats: int) -> float:
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    import numba
    import openmm
    from openmm import app, unit

    import sponge
    from sponge.nonbonded import NonbondedTerm

    pdb = app.PDBFile(os.path.join(os.path.dirname(app.__file__), "data", "test.pdb"))
    ff = app.ForceField("amber14-all.xml", "amber14/tip3p.xml")
    omm_system = ff.createSystem(
        pdb.topology, nonbondedMethod=app.PME, nonbondedCutoff=0.9 * unit.nanometer
    )
    pos = np.array(pdb.positions.value_in_unit(unit.nanometer))
    box = np.array(pdb.topology.getPeriodicBoxVectors().value_in_unit(unit.nanometer))
    nb_force = [f for f in omm_system.getForces() if isinstance(f, openmm.NonbondedForce)][0]

    for n_threads in args.threads:
        if n_threads > numba.config.NUMBA_NUM_THREADS:
            print(
                json.dumps({"skipped_threads": n_threads, "reason": "more than NUMBA_NUM_THREADS"})
            )
            continue
        numba.set_num_threads(n_threads)
        system, state = sponge.from_openmm(omm_system, pos, box, topology=pdb.topology)
        nb = NonbondedTerm.from_openmm(nb_force, box)

        nb_system = openmm.System()
        for i in range(omm_system.getNumParticles()):
            nb_system.addParticle(omm_system.getParticleMass(i))
        nb_system.setDefaultPeriodicBoxVectors(*omm_system.getDefaultPeriodicBoxVectors())
        nb_system.addForce(copy.deepcopy(nb_force))
        contexts = {}
        for label, sys_ in (("full", omm_system), ("nonbonded", nb_system)):
            ctx = openmm.Context(
                sys_,
                openmm.VerletIntegrator(0.001),
                openmm.Platform.getPlatformByName("CPU"),
                {"CpuThreads": str(n_threads)},
            )
            ctx.setPositions(pdb.positions)
            ctx.setPeriodicBoxVectors(*pdb.topology.getPeriodicBoxVectors())
            contexts[label] = ctx

        def omm_eval(label, contexts=contexts):
            return contexts[label].getState(getEnergy=True, getForces=True)

        e_omm = omm_eval("full").getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        e_sp, _ = system.energy_forces(state)

        def rebuild(nb=nb):
            nb.neighbor_list._x0 = None  # force a rebuild on the next call
            return nb.energy_forces(pos, box)

        t_omm = {k: _median_ms(lambda k=k: omm_eval(k), args.repeats) for k in contexts}
        t_full = _median_ms(lambda s=system, st=state: s.energy_forces(st), args.repeats)
        t_nb = _median_ms(lambda nb=nb: nb.energy_forces(pos, box), args.repeats)
        t_rb = _median_ms(rebuild, max(3, args.repeats // 3))
        common = {
            "system": "villin+TIP3P 8867 atoms, amber14, PME 0.9 nm",
            "threads": n_threads,
            "energy_sponge": e_sp,
            "energy_openmm_cpu": e_omm,
        }
        for name, t, ref in (
            ("sponge_full_vs_openmm_full", t_full, "full"),
            ("sponge_nonbonded_vs_openmm_nonbonded", t_nb, "nonbonded"),
            ("sponge_nonbonded_rebuild_vs_openmm_nonbonded", t_rb, "nonbonded"),
        ):
            print(
                json.dumps(
                    {
                        **common,
                        "measure": name,
                        "sponge_ms": round(t, 3),
                        "openmm_ms": round(t_omm[ref], 3),
                        "ratio_sponge_over_openmm": round(t / t_omm[ref], 3),
                    }
                )
            )


if __name__ == "__main__":
    main()
