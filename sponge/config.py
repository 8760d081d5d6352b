"""The TOML configuration of ``sponge run``: schema, validation, construction.

A configuration describes one simulation::

    [system]                       # exactly one input: pdb | parm7 + rst7 | top + gro | native
    pdb = "villin.pdb"             # paths are relative to the configuration file
    forcefield = ["amber14-all.xml", "amber14/tip3p.xml"]
    nonbonded = "PME"              # NoCutoff | CutoffNonPeriodic | CutoffPeriodic | Ewald | PME
    cutoff = 0.9                   # nm
    constraints = "HBonds"         # "none" | "HBonds" | "AllBonds" | "HAngles"
    rigid_water = true

    [integrator]
    type = "LangevinMiddle"        # LangevinMiddle | VelocityVerlet | Bussi | NoseHooverChain
    timestep = 0.002               # ps
    temperature = 300.0            # K
    friction = 1.0                 # 1/ps (LangevinMiddle)
    tau = 0.1                      # ps (Bussi)
    collision_frequency = 1.0      # 1/ps (NoseHooverChain), chain_length = 3

    [barostat]                     # optional (NPT)
    pressure = 1.0                 # bar
    frequency = 25                 # steps
    anisotropic = false

    [sits]                         # optional: selective integrated tempering (sponge.SITS)
    selection = ["ALA"]            # residue names, or atom indices; omit: non-solvent residues
    t_low = 273.0                  # K
    t_high = 650.0                 # K
    n_temperatures = 100
    spacing = "T"                  # "T" | "beta" | "geometric"
    mode = "iteration"             # "observation" | "iteration" | "production"
    energy = "selective"           # "selective" | "total" (plain ITS)
    cross_factor = 0.5
    update_interval = 100          # steps
    energy_shift = -300.0          # kJ/mol (omit: the first E_s)
    nk_in_file = "nk_rest.txt"     # start from a restart file (relative to the config)
    nk_restart_file = "nk_rest.txt"    # written into [output].directory
    nk_traj_file = "nk_traj.dat"       # written into [output].directory
    bonds_angles = false           # also enhance the solute's bonds and angles
    complete_coulomb = true        # PME: solute pairs' full Coulomb in E_s (false: real space only)
    memory = 2500                  # n_k updates of memory (omit: Gao's all-window average)
    hot_to_cold = 1.0              # target P_K / P_1 (1: flat; > 1 favours the hot end)

    [run]
    steps = 10000
    seed = 1
    platform = "cpu"
    minimize = true
    minimize_tolerance = 10.0      # kJ/mol/nm
    minimize_max_iterations = 0
    initial_temperature = 300.0    # K: draw Maxwell-Boltzmann velocities (omit to keep the input's)
    restart = "run.chk"            # optional: continue from this checkpoint (reporters append)
    progress = true

    [output]
    directory = "out"
    state_data = { file = "state.csv", interval = 500, volume = true, density = true }
    dcd = { file = "traj.dcd", interval = 1000 }
    xtc = { file = "traj.xtc", interval = 1000 }
    pdb = { file = "frames.pdb", interval = 10000 }
    checkpoint = { file = "run.chk", interval = 5000 }
    final_pdb = "final.pdb"

    [metadynamics]                 # optional: see sponge.metad_config
    cvs = [{ type = "dihedral", atoms = [4, 6, 8, 14], name = "phi" }]
    height = 1.2
    sigma = 0.35
    bias_factor = 8.0
    pace = 500
    cv_file = "cv.csv"

Every error names the key and what was expected, e.g.
``[integrator].timestep: expected a positive number in ps, got 'abc'``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration value is missing, unknown or of the wrong kind (names the key)."""


_NONBONDED = ("NoCutoff", "CutoffNonPeriodic", "CutoffPeriodic", "Ewald", "PME", "LJPME")
_CONSTRAINTS = ("none", "HBonds", "AllBonds", "HAngles")
_INTEGRATORS = ("LangevinMiddle", "VelocityVerlet", "Bussi", "NoseHooverChain")
_PLATFORMS = ("cpu", "cuda")
_REPORTER_KEYS = ("state_data", "dcd", "xtc", "pdb", "checkpoint")
_STATE_DATA_FLAGS = ("step", "time", "potential_energy", "kinetic_energy", "total_energy",
                     "temperature", "volume", "density", "speed", "progress")

_KNOWN = {
    "system": ("pdb", "forcefield", "parm7", "rst7", "top", "gro", "include_dir", "native",
               "nonbonded", "cutoff", "constraints", "rigid_water", "ewald_error_tolerance",
               "switch_distance", "dispersion_correction"),
    "integrator": ("type", "timestep", "temperature", "friction", "tau", "collision_frequency",
                   "chain_length"),
    "barostat": ("pressure", "temperature", "frequency", "anisotropic"),
    "run": ("steps", "seed", "platform", "minimize", "minimize_tolerance",
            "minimize_max_iterations", "initial_temperature", "restart", "progress"),
    "output": ("directory", "final_pdb", *_REPORTER_KEYS),
    "metadynamics": (),  # validated by sponge.metad_config
    "sits": ("selection", "t_low", "t_high", "n_temperatures", "spacing", "mode", "energy",
             "cross_factor", "update_interval", "energy_shift", "nk_in_file",
             "nk_restart_file", "nk_traj_file", "bonds_angles", "complete_coulomb", "memory",
             "hot_to_cold"),
}


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


class _Table:
    """One ``[section]`` with typed getters whose errors name ``[section].key``."""

    def __init__(self, data: dict, section: str) -> None:
        self.data = data
        self.section = section
        self.used: set[str] = set()

    def name(self, key: str) -> str:
        return f"[{self.section}].{key}"

    def fail(self, key: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{self.name(key)}: expected {expected}, got {value!r}")

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = None, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                raise ConfigError(f"{self.name(key)}: required key is missing")
            return default
        self.used.add(key)
        return self.data[key]

    def number(self, key: str, what: str, default: Any = None, required: bool = False,
               positive: bool = False, nonnegative: bool = False) -> float | None:
        v = self.raw(key, default, required)
        if v is None:
            return None
        kind = "a positive number" if positive else (
            "a non-negative number" if nonnegative else "a number")
        if not _is_number(v) or (positive and v <= 0) or (nonnegative and v < 0):
            raise self.fail(key, f"{kind}{' in ' + what if what else ''}", v)
        return float(v)

    def integer(self, key: str, default: Any = None, required: bool = False,
                minimum: int = 0) -> int | None:
        v = self.raw(key, default, required)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise self.fail(key, f"an integer >= {minimum}", v)
        return int(v)

    def boolean(self, key: str, default: bool) -> bool:
        v = self.raw(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, "true or false", v)
        return v

    def choice(self, key: str, choices: tuple, default: Any = None, required: bool = False):
        v = self.raw(key, default, required)
        if v not in choices:
            raise self.fail(key, "one of " + ", ".join(repr(c) for c in choices), v)
        return v

    def path(self, key: str, base: Path, must_exist: bool = True,
             required: bool = False) -> Path | None:
        v = self.raw(key, None, required)
        if v is None:
            return None
        if not isinstance(v, str) or not v:
            raise self.fail(key, "a file path (string)", v)
        p = (base / v) if not Path(v).is_absolute() else Path(v)
        if must_exist and not p.exists():
            raise ConfigError(f"{self.name(key)}: file {str(p)!r} does not exist")
        return p

    def check_unknown(self) -> None:
        known = _KNOWN[self.section]
        for k in self.data:
            if k not in known:
                raise ConfigError(f"{self.name(k)}: unknown key; known keys of "
                                  f"[{self.section}]: {', '.join(known)}")


@dataclass
class ReporterSpec:
    """One ``[output]`` reporter: kind, file (absolute), interval, extra flags."""

    kind: str
    file: Path
    interval: int
    options: dict = field(default_factory=dict)


@dataclass
class RunConfig:
    """A validated configuration (paths resolved against the file's folder)."""

    source: Path
    system: dict
    integrator: dict
    barostat: dict | None
    steps: int
    seed: int | None
    platform: str
    minimize: bool
    minimize_tolerance: float
    minimize_max_iterations: int
    initial_temperature: float | None
    restart: Path | None
    progress: bool | None
    output_dir: Path
    reporters: list[ReporterSpec]
    final_pdb: Path | None
    metadynamics: dict | None = None
    sits: dict | None = None


def _section(doc: dict, name: str, required: bool) -> _Table | None:
    if name not in doc:
        if required:
            raise ConfigError(f"[{name}]: required section is missing")
        return None
    if not isinstance(doc[name], dict):
        raise ConfigError(f"[{name}]: expected a table, got {doc[name]!r}")
    return _Table(doc[name], name)


def _system(t: _Table, base: Path) -> dict:
    t.check_unknown()
    inputs = [k for k in ("pdb", "parm7", "top", "native") if t.has(k)]
    if len(inputs) != 1:
        raise ConfigError("[system]: expected exactly one input: pdb = ..., parm7 = ... with "
                          f"rst7 = ..., top = ... with gro = ..., or native = ...; got {inputs}")
    kind = inputs[0]
    out: dict[str, Any] = {"kind": kind}
    if kind == "pdb":
        out["pdb"] = t.path("pdb", base)
        ff = t.raw("forcefield", ["amber14-all.xml", "amber14/tip3p.xml"])
        if isinstance(ff, str):
            ff = [ff]
        if not isinstance(ff, list) or not ff or not all(isinstance(x, str) for x in ff):
            raise t.fail("forcefield", "a force-field XML name or a list of them", ff)
        out["forcefield"] = tuple(str(base / x) if (base / x).exists() else x for x in ff)
    elif kind == "parm7":
        out["parm7"] = t.path("parm7", base)
        out["rst7"] = t.path("rst7", base, required=True)
    elif kind == "top":
        out["top"] = t.path("top", base)
        out["gro"] = t.path("gro", base, required=True)
        inc = t.path("include_dir", base)
        out["include_dir"] = None if inc is None else str(inc)
    else:
        v = t.raw("native")
        if not isinstance(v, str):
            raise t.fail("native", "the path prefix of SPONGE *_coordinate.txt files", v)
        out["native"] = base / v
    out["nonbonded"] = t.choice("nonbonded", _NONBONDED, "PME")
    out["cutoff"] = t.number("cutoff", "nm", 1.0, positive=True)
    if kind != "native":
        default_c = "HBonds" if kind == "pdb" else "none"
        c = t.choice("constraints", _CONSTRAINTS, default_c)
        out["constraints"] = None if c == "none" else c
        out["rigid_water"] = t.boolean("rigid_water", True)
    out["ewald_error_tolerance"] = t.number("ewald_error_tolerance", "", 5e-4, positive=True)
    if kind != "native":
        out["switch_distance"] = t.number("switch_distance", "nm", None, positive=True)
    disp = t.raw("dispersion_correction", None)
    if disp is not None and not isinstance(disp, bool):
        raise t.fail("dispersion_correction", "true or false", disp)
    out["dispersion_correction"] = disp
    return out


def _integrator(t: _Table) -> dict:
    t.check_unknown()
    kind = t.choice("type", _INTEGRATORS, "LangevinMiddle")
    out: dict[str, Any] = {"type": kind,
                           "timestep": t.number("timestep", "ps", required=True, positive=True)}
    if kind != "VelocityVerlet":
        out["temperature"] = t.number("temperature", "K", required=True, positive=True)
    if kind == "LangevinMiddle":
        out["friction"] = t.number("friction", "1/ps", 1.0, positive=True)
    if kind == "Bussi":
        out["tau"] = t.number("tau", "ps", 0.1, positive=True)
    if kind == "NoseHooverChain":
        out["collision_frequency"] = t.number("collision_frequency", "1/ps", 1.0, positive=True)
        out["chain_length"] = t.integer("chain_length", 3, minimum=1)
    for k in t.data:
        if k not in t.used and k != "type":
            raise ConfigError(f"{t.name(k)}: not used by integrator type {kind!r}")
    return out


def _barostat(t: _Table, integrator: dict) -> dict:
    t.check_unknown()
    temp = t.number("temperature", "K", integrator.get("temperature"), positive=True)
    if temp is None:
        raise ConfigError("[barostat].temperature: required key is missing (the integrator "
                          "has no temperature)")
    return {"pressure": t.number("pressure", "bar", required=True),
            "temperature": temp,
            "frequency": t.integer("frequency", 25, minimum=1),
            "anisotropic": t.boolean("anisotropic", False)}


def _sits(t: _Table, base: Path, out_dir: Path) -> dict:
    t.check_unknown()
    sel = t.raw("selection", None)
    if sel is not None and not (
            isinstance(sel, list) and sel
            and (all(isinstance(x, str) for x in sel)
                 or all(isinstance(x, int) and not isinstance(x, bool) for x in sel))):
        raise t.fail("selection", "a list of residue names or of atom indices", sel)
    out: dict[str, Any] = {
        "selection": sel,
        "t_low": t.number("t_low", "K", 273.0, positive=True),
        "t_high": t.number("t_high", "K", 650.0, positive=True),
        "n_temperatures": t.integer("n_temperatures", 100, minimum=2),
        "spacing": t.choice("spacing", ("T", "beta", "geometric"), "T"),
        "mode": t.choice("mode", ("observation", "iteration", "production"), "iteration"),
        "energy": t.choice("energy", ("selective", "total"), "selective"),
        "cross_factor": t.number("cross_factor", "(0..1)", 0.5, nonnegative=True),
        "update_interval": t.integer("update_interval", 100, minimum=1),
        "energy_shift": t.number("energy_shift", "kJ/mol", None),
        "nk_in_file": t.path("nk_in_file", base),
        "bonds_angles": t.boolean("bonds_angles", False),
        "complete_coulomb": t.boolean("complete_coulomb", True),
        "memory": t.number("memory", "n_k updates", None, positive=True),
        "hot_to_cold": t.number("hot_to_cold", "P_K / P_1", 1.0, positive=True),
    }
    if out["cross_factor"] > 1.0:
        raise t.fail("cross_factor", "a number in [0, 1]", out["cross_factor"])
    if out["t_high"] <= out["t_low"]:
        raise t.fail("t_high", f"a temperature above t_low = {out['t_low']} K", out["t_high"])
    for key in ("nk_restart_file", "nk_traj_file"):
        v = t.raw(key, None)
        if v is not None and (not isinstance(v, str) or not v):
            raise t.fail(key, "a file name (string)", v)
        out[key] = None if v is None else out_dir / v
    return out


def _reporters(t: _Table, out_dir: Path) -> list[ReporterSpec]:
    specs = []
    for kind in _REPORTER_KEYS:
        if not t.has(kind):
            continue
        v = t.raw(kind)
        key = t.name(kind)
        if not isinstance(v, dict):
            raise ConfigError(f"{key}: expected a table like {{ file = \"...\", interval = 1000 }}"
                              f", got {v!r}")
        sub = _Table(v, f"output.{kind}")
        f = sub.raw("file", required=True)
        if not isinstance(f, str) or not f:
            raise sub.fail("file", "a file name (string)", f)
        interval = sub.integer("interval", required=True, minimum=1)
        opts = {}
        for k in v:
            if k in ("file", "interval"):
                continue
            if kind != "state_data" or k not in _STATE_DATA_FLAGS:
                allowed = ("file", "interval") + (_STATE_DATA_FLAGS if kind == "state_data"
                                                   else ())
                raise ConfigError(f"{sub.name(k)}: unknown key; known keys: {', '.join(allowed)}")
            opts[k] = sub.boolean(k, False)
        specs.append(ReporterSpec(kind, out_dir / f, interval, opts))
    return specs


def parse_config(doc: dict, source: Path | str = "<config>") -> RunConfig:
    """Validate a configuration document (the dict ``tomllib`` returns).

    Raises:
        ConfigError: naming the section and key, what was expected and what was found.
    """
    source = Path(source)
    base = source.parent if source.suffix else Path(".")
    for k in doc:
        if k not in _KNOWN:
            raise ConfigError(f"[{k}]: unknown section; known sections: {', '.join(_KNOWN)}")
    system = _system(_section(doc, "system", True), base)
    integrator = _integrator(_section(doc, "integrator", True))
    bt = _section(doc, "barostat", False)
    barostat = None if bt is None else _barostat(bt, integrator)
    run = _section(doc, "run", True)
    run.check_unknown()
    steps = run.integer("steps", required=True, minimum=0)
    seed = run.integer("seed", None, minimum=0)
    platform = run.choice("platform", _PLATFORMS, "cpu")
    minimize = run.boolean("minimize", True)
    tol = run.number("minimize_tolerance", "kJ/mol/nm", 10.0, positive=True)
    max_it = run.integer("minimize_max_iterations", 0, minimum=0)
    t0 = run.number("initial_temperature", "K", None, nonnegative=True)
    restart = run.path("restart", base)
    prog = run.raw("progress", None)
    if prog is not None and not isinstance(prog, bool):
        raise run.fail("progress", "true or false", prog)
    out = _section(doc, "output", False) or _Table({}, "output")
    out.check_unknown()
    d = out.raw("directory", ".")
    if not isinstance(d, str):
        raise out.fail("directory", "a folder path (string)", d)
    out_dir = base / d
    reporters = _reporters(out, out_dir)
    final = out.raw("final_pdb", None)
    if final is not None and not isinstance(final, str):
        raise out.fail("final_pdb", "a file name (string)", final)
    metad = None
    if "metadynamics" in doc:
        from sponge.metad_config import parse_metadynamics

        metad = parse_metadynamics(doc["metadynamics"], ConfigError)
    st = _section(doc, "sits", False)
    sits = None if st is None else _sits(st, base, out_dir)
    if sits is not None and "temperature" not in integrator:
        raise ConfigError("[sits]: needs an integrator with a temperature (a thermostat)")
    return RunConfig(source=source, system=system, integrator=integrator, barostat=barostat,
                     metadynamics=metad,
                     steps=steps, seed=seed, platform=platform, minimize=minimize,
                     minimize_tolerance=tol, minimize_max_iterations=max_it,
                     initial_temperature=t0, restart=restart, progress=prog, output_dir=out_dir,
                     reporters=reporters, final_pdb=None if final is None else out_dir / final,
                     sits=sits)


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a TOML configuration file.

    Raises:
        ConfigError: bad TOML (with its line) or a bad value (with its key).
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_config(doc, path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
