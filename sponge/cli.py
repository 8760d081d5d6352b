"""Command line: ``sponge run``, ``sponge info``, ``sponge pmf``, ``sponge demo``.

``sponge run`` builds the system, integrator, barostat and reporters that a
TOML file describes (schema in :mod:`sponge.config`), optionally minimises,
and runs. ``sponge info`` prints atoms, residues, chains, force terms,
constraints and box of a PDB, Amber parm7/prmtop, GROMACS top/gro, SPONGE
native input or a sponge checkpoint. ``sponge pmf`` writes the free-energy
surface of CV samples (reweighted with a bias column) as CSV and PNG
(:mod:`sponge.pmf_cli`). ``sponge demo`` runs the built-in example
(:mod:`sponge.demo`). Errors are printed as one line naming the file, key or
atom involved, with exit status 2 for bad input and 1 for a failed run.

Entry point (``pyproject.toml``): ``[project.scripts] sponge = "sponge.cli:main"``;
``python -m sponge`` does the same.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sponge.config import ConfigError, RunConfig, load_config

_INTEGRATOR_CLASSES = {
    "LangevinMiddle": "LangevinMiddleIntegrator",
    "VelocityVerlet": "VelocityVerletIntegrator",
    "Bussi": "BussiThermostatIntegrator",
    "NoseHooverChain": "NoseHooverChainIntegrator",
}


def _sponge_attr(name: str, key: str):
    import sponge

    obj = getattr(sponge, name, None)
    if obj is None:
        raise ConfigError(f"{key}: sponge.{name} is not available in this installation")
    return obj


def build_system(spec: dict):
    """``(system, state)`` from a validated ``[system]`` table."""
    import sponge

    common = {k: spec[k] for k in ("nonbonded", "cutoff", "ewald_error_tolerance",
                                   "dispersion_correction") if k in spec}
    for k in ("constraints", "rigid_water", "switch_distance"):
        if k in spec:
            common[k] = spec[k]
    kind = spec["kind"]
    if kind == "pdb":
        return sponge.load_pdb(spec["pdb"], forcefield=spec["forcefield"], **common)
    if kind == "parm7":
        return sponge.load_amber(spec["parm7"], spec["rst7"], **common)
    if kind == "top":
        return sponge.load_gromacs(spec["top"], spec["gro"], include_dir=spec["include_dir"],
                                   **common)
    if common.get("dispersion_correction") is None:
        common.pop("dispersion_correction", None)
    return sponge.load_sponge(spec["native"], **common)


def build_integrator(spec: dict):
    """An integrator from a validated ``[integrator]`` table."""
    kind = spec["type"]
    cls = _sponge_attr(_INTEGRATOR_CLASSES[kind], "[integrator].type")
    if kind == "LangevinMiddle":
        return cls(spec["temperature"], spec["friction"], spec["timestep"])
    if kind == "VelocityVerlet":
        return cls(spec["timestep"])
    if kind == "Bussi":
        return cls(spec["temperature"], spec["tau"], spec["timestep"])
    return cls(spec["temperature"], spec["collision_frequency"], spec["timestep"],
               chain_length=spec["chain_length"])


def build_barostat(spec: dict | None):
    """A MonteCarloBarostat from a validated ``[barostat]`` table (or None)."""
    if spec is None:
        return None
    cls = _sponge_attr("MonteCarloBarostat", "[barostat]")
    return cls(spec["pressure"], spec["temperature"], frequency=spec["frequency"],
               anisotropic=spec["anisotropic"])


def build_sits(spec: dict | None):
    """A :class:`sponge.SITS` from a validated ``[sits]`` table (or None)."""
    if spec is None:
        return None
    cls = _sponge_attr("SITS", "[sits]")
    return cls(**spec)


def build_reporters(cfg: RunConfig, append: bool = False) -> list:
    """Reporters of the ``[output]`` table (appending to existing files on restart)."""
    import sponge

    out = []
    for r in cfg.reporters:
        r.file.parent.mkdir(parents=True, exist_ok=True)
        ap = append and r.file.exists()
        if r.kind == "state_data":
            opts = dict(r.options)
            if opts.get("progress"):
                opts["total_steps"] = cfg.steps
            out.append(sponge.StateDataReporter(str(r.file), r.interval, append=ap, **opts))
        elif r.kind == "dcd":
            out.append(sponge.DCDReporter(r.file, r.interval, append=ap))
        elif r.kind == "xtc":
            out.append(sponge.XTCReporter(r.file, r.interval, append=ap))
        elif r.kind == "pdb":
            out.append(sponge.PDBReporter(r.file, r.interval, append=ap))
        else:
            out.append(sponge.CheckpointReporter(r.file, r.interval))
    return out


def _biases(sits, metad):
    """The simulation bias: SITS, metadynamics, or both (MetaITS when SITS is plain ITS)."""
    if sits is None or metad is None:
        return sits if metad is None else metad
    import sponge

    if getattr(sits, "energy", None) == "total":
        return sponge.MetaITS(metad, sits)
    return sponge.CombinedBias([sits, metad])


def run_config(cfg: RunConfig, steps: int | None = None, log=sys.stdout):
    """Build and run the simulation ``cfg`` describes; returns the :class:`Simulation`.

    Args:
        cfg: a validated configuration.
        steps: override of ``[run].steps``.
        log: stream for progress messages (None: silent).
    """
    import sponge
    from sponge.reporters import write_checkpoint

    def say(msg: str) -> None:
        if log is not None:
            print(msg, file=log, flush=True)

    n_steps = cfg.steps if steps is None else int(steps)
    t0 = time.perf_counter()
    system, state = build_system(cfg.system)
    say(f"system: {system.n_atoms} particles, terms {[t.name for t in system.terms]}, "
        f"{len(system.constraints)} constraints ({time.perf_counter() - t0:.1f} s)")
    integrator = build_integrator(cfg.integrator)
    barostat = build_barostat(cfg.barostat)
    sits = build_sits(cfg.sits)
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    reporters = build_reporters(cfg, append=cfg.restart is not None)
    bias = None
    if cfg.metadynamics is not None:
        from sponge.metad_config import build_metadynamics

        bias, cv_rep = build_metadynamics(cfg.metadynamics, system, state,
                                          getattr(integrator, "temperature", None),
                                          cfg.output_dir, append=cfg.restart is not None)
        if cv_rep is not None:
            reporters.append(cv_rep)
    if cfg.restart is not None:
        sim = sponge.Simulation.from_checkpoint(cfg.restart, system, integrator,
                                                reporters=reporters, platform=cfg.platform,
                                                barostat=barostat,
                                                bias=_biases(sits, bias))
        say(f"restarted from {cfg.restart} at step {sim.state.step}")
    else:
        sim = sponge.Simulation(system, integrator, state, reporters=reporters,
                                platform=cfg.platform, seed=cfg.seed, barostat=barostat,
                                bias=_biases(sits, bias))
        if cfg.minimize:
            e0 = system.potential_energy(sim.state)
            sim.minimize(cfg.minimize_tolerance, cfg.minimize_max_iterations)
            say(f"minimised: {e0:.2f} -> {system.potential_energy(sim.state):.2f} kJ/mol")
        if cfg.initial_temperature is not None:
            sim.set_velocities_to_temperature(cfg.initial_temperature, seed=cfg.seed)
    say(f"running {n_steps} steps of {integrator.timestep} ps "
        f"({n_steps * integrator.timestep:.4g} ps)")
    t1 = time.perf_counter()
    try:
        sim.run(n_steps, progress=cfg.progress)
    finally:
        for r in reporters:
            r.close()
        if bias is not None:
            bias.close()
    wall = time.perf_counter() - t1
    ns_day = n_steps * integrator.timestep * 1e-3 / wall * 86400.0 if wall > 0 else float("nan")
    if cfg.final_pdb is not None:
        _write_pdb(cfg.final_pdb, system, sim.state)
    for r in cfg.reporters:
        if r.kind == "checkpoint" and sim.state.step % r.interval != 0:
            write_checkpoint(r.file, sim)  # the end of the run is always checkpointed
    say(f"done: step {sim.state.step}, time {sim.state.time:.4g} ps, "
        f"{wall:.1f} s, {ns_day:.4g} ns/day; outputs in {cfg.output_dir}")
    sim.speed_ns_per_day = ns_day
    return sim


def _write_pdb(path: Path, system, state) -> None:
    from openmm import app, unit

    from sponge.reporters import openmm_topology

    top = openmm_topology(system, state.box)
    with open(path, "w") as f:
        app.PDBFile.writeFile(top, state.positions * unit.nanometer, f)


# ---------------------------------------------------------------------------- info
def describe(path: str | Path, forcefield: Sequence[str] | None = None) -> dict:
    """Summary of an input file: atoms, residues, chains, forces, constraints, box.

    Args:
        path: a ``.pdb``, ``.parm7``/``.prmtop``, ``.top`` (with a ``.gro`` of the
            same name), a SPONGE native prefix or ``*_coordinate.txt``, or a
            sponge checkpoint (``.chk``/``.npz``).
        forcefield: force-field XMLs used to parameterise a PDB (default
            amber14-all + amber14/tip3p).

    Raises:
        FileNotFoundError, sponge.InputFileError: naming the file (and line).
    """
    from openmm import app

    from sponge.io.validate import validate_parm7, validate_pdb

    p = Path(path)
    info: dict = {"file": str(p)}
    suffix = p.suffix.lower()
    if suffix in (".chk", ".npz"):
        from sponge.reporters import read_checkpoint

        d = read_checkpoint(p)
        info.update(kind="checkpoint", atoms=d["n_atoms"], step=d["step"], time_ps=d["time"],
                    integrator=d["integrator"],
                    box_nm=None if d["box"] is None else np.asarray(d["box"]).tolist())
        return info
    if suffix == ".pdb":
        validate_pdb(p)
        pdb = app.PDBFile(str(p))
        top = pdb.topology
        info["kind"] = "pdb"
        box = top.getPeriodicBoxVectors()
        system = _try_parameterise(info, lambda: _pdb_system(p, forcefield, box is not None))
    elif suffix in (".parm7", ".prmtop"):
        validate_parm7(p)
        prm = app.AmberPrmtopFile(str(p))
        top = prm.topology
        info["kind"] = "amber"
        box = top.getPeriodicBoxVectors()
        system = _try_parameterise(info, lambda: _omm_to_sponge(
            prm.createSystem(nonbondedMethod=app.PME if box is not None else app.NoCutoff),
            top, box))
    elif suffix == ".top":
        gro = p.with_suffix(".gro")
        if not gro.exists():
            raise FileNotFoundError(f"{p}: sponge info needs the coordinates {gro} beside it")
        import sponge

        system, _ = sponge.load_gromacs(p, gro)
        top = app.GromacsGroFile(str(gro))
        info["kind"] = "gromacs"
        box = top.getPeriodicBoxVectors()
        top = None
    elif p.name.endswith("_coordinate.txt") or p.is_dir() or Path(str(p) + "_coordinate.txt"
                                                                  ).exists():
        import sponge

        prefix = str(p)[: -len("_coordinate.txt")] if p.name.endswith("_coordinate.txt") else p
        system, state = sponge.load_sponge(prefix)
        info["kind"] = "sponge-native"
        top = None
        box = state.box
    else:
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file")
        raise ValueError(f"{p}: unknown input type {suffix!r}; expected .pdb, .parm7/.prmtop, "
                         f".top (+ .gro), a SPONGE native prefix, or a checkpoint .chk/.npz")
    if top is not None:
        info.update(atoms=top.getNumAtoms(), residues=top.getNumResidues(),
                    chains=top.getNumChains())
        names = [r.name for r in top.residues()]
    elif system is not None and system.topology is not None:
        t = system.topology
        info.update(atoms=t.n_atoms, residues=t.n_residues)
        names = t.residue_names
    else:
        info["atoms"] = system.n_atoms
        names = []
    if names:
        counts: dict[str, int] = {}
        for n in names:
            counts[n] = counts.get(n, 0) + 1
        info["residue_names"] = counts
    info["box_nm"] = _box_nm(box)
    if system is not None:
        info["forces"] = [f"{t.name} ({type(t).__name__})" for t in system.terms]
        info["constraints"] = len(system.constraints)
        info["virtual_sites"] = len(system.virtual_sites)
        info["total_mass_amu"] = float(system.masses.sum())
        info["total_charge_e"] = round(float(system.charges.sum()), 6)
    return info


def _box_nm(box) -> list | None:
    """A box (OpenMM quantity or (3, 3) array in nm) as nested lists in nm."""
    if box is None:
        return None
    if hasattr(box, "value_in_unit"):
        from openmm import unit

        box = box.value_in_unit(unit.nanometer)
    return np.asarray([[float(x) for x in v] for v in box]).tolist()


def _try_parameterise(info: dict, fn):
    try:
        return fn()
    except Exception as exc:  # report, do not fail: the structure is still described
        info["forces"] = f"not parameterised: {type(exc).__name__}: {exc}"
        return None


def _pdb_system(p: Path, forcefield, periodic: bool):
    import sponge

    ff = tuple(forcefield) if forcefield else ("amber14-all.xml", "amber14/tip3p.xml")
    system, _ = sponge.load_pdb(p, forcefield=ff, nonbonded="PME" if periodic else "NoCutoff",
                                cutoff=0.9 if periodic else 1.0)
    return system


def _omm_to_sponge(omm, top, box):
    import sponge

    pos = np.zeros((top.getNumAtoms(), 3))
    system, _ = sponge.from_openmm(omm, pos, box=box, topology=top)
    return system


def _print_info(info: dict) -> None:
    width = max(len(k) for k in info)
    for k, v in info.items():
        if isinstance(v, list) and v and isinstance(v[0], str):
            v = ", ".join(v)
        elif isinstance(v, dict):
            v = ", ".join(f"{a} x{b}" for a, b in list(v.items())[:20]) + (
                " ..." if len(v) > 20 else "")
        elif k == "box_nm" and v is not None:
            v = "  ".join("(" + ", ".join(f"{x:.4f}" for x in row) + ")" for row in v)
        print(f"{k:<{width}}  {v}")


# ---------------------------------------------------------------------------- main
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sponge", description="sponge molecular dynamics")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the simulation a TOML configuration describes")
    r.add_argument("config", help="configuration file (.toml)")
    r.add_argument("--steps", type=int, default=None, help="override [run].steps")
    r.add_argument("--check", action="store_true",
                   help="validate the configuration and exit")
    i = sub.add_parser("info", help="describe an input file (atoms, residues, forces, box)")
    i.add_argument("file")
    i.add_argument("--forcefield", nargs="+", default=None,
                   help="force-field XMLs for a PDB (default amber14-all.xml amber14/tip3p.xml)")
    i.add_argument("--json", action="store_true", help="print JSON")
    t = sub.add_parser("train-potential",
                       help="train a neural-network potential from a TOML configuration")
    t.add_argument("config", help="configuration file (.toml); see sponge.ml.config")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    from sponge.pmf_cli import add_parser as _add_pmf

    _add_pmf(sub)
    d = sub.add_parser("demo", help="run the built-in alanine-dipeptide example")
    d.add_argument("--output", default="sponge_demo", help="output folder (default sponge_demo)")
    d.add_argument("--steps", type=int, default=None, help="number of steps (default 250000)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sponge`` command; returns the exit status."""
    from sponge.errors import SimulationInstabilityError
    from sponge.io import InputFileError
    from sponge.reporters import CheckpointError

    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            cfg = load_config(args.config)
            if args.check:
                print(f"{args.config}: configuration is valid")
                return 0
            run_config(cfg, steps=args.steps)
        elif args.command == "info":
            info = describe(args.file, args.forcefield)
            if args.json:
                print(json.dumps(info, indent=1))
            else:
                _print_info(info)
        elif args.command == "pmf":
            from sponge.pmf_cli import run_pmf

            print(json.dumps(run_pmf(args), indent=1))
        elif args.command == "train-potential":
            from sponge.ml.config import train_from_config

            print(json.dumps(train_from_config(args.config, progress=not args.no_progress),
                             indent=1))
        else:
            from sponge.demo import run_demo

            run_demo(args.output, steps=args.steps)
    except (ConfigError, InputFileError, CheckpointError, FileNotFoundError, ValueError) as exc:
        print(f"sponge: error: {exc}", file=sys.stderr)
        return 2
    except SimulationInstabilityError as exc:
        print(f"sponge: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
