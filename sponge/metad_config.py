"""The ``[metadynamics]`` table of ``sponge run`` configurations.

::

    [metadynamics]
    cvs = [{ type = "dihedral", atoms = [4, 6, 8, 14], name = "phi" },
           { type = "dihedral", atoms = [6, 8, 14, 16], name = "psi" }]
    height = 1.2                # kJ/mol
    sigma = [0.35, 0.35]        # CV units (nm or rad)
    bias_factor = 8.0           # omit for plain metadynamics
    pace = 500                  # steps
    temperature = 300.0         # K (default: the integrator's)
    grid_min = [-3.14159, -3.14159]   # optional for periodic CVs
    grid_max = [3.14159, 3.14159]
    grid_bins = [120, 120]
    hills_file = "HILLS"        # in the output directory
    grid_file = "bias_grid.dat"
    cv_file = "cv.csv"          # CVReporter output (input of `sponge pmf`)
    cv_interval = 500

CV types: ``distance`` (2 atoms), ``angle`` (3), ``dihedral`` (4),
``position`` (1 atom, ``axis``), ``rmsd`` (atoms; reference = the starting
structure). Atom indices are 0-based. Errors name ``[metadynamics].key``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_KEYS = ("cvs", "height", "sigma", "bias_factor", "pace", "temperature", "grid_min",
         "grid_max", "grid_bins", "hills_file", "grid_file", "grid_interval", "cv_file",
         "cv_interval")
_CV_ATOMS = {"distance": 2, "angle": 3, "dihedral": 4, "position": 1, "rmsd": None}


def parse_metadynamics(data: Any, error) -> dict:
    """Validate the ``[metadynamics]`` table; ``error(msg)`` builds the exception."""
    if not isinstance(data, dict):
        raise error(f"[metadynamics]: expected a table, got {data!r}")
    for k in data:
        if k not in _KEYS:
            raise error(f"[metadynamics].{k}: unknown key; known keys: {', '.join(_KEYS)}")
    cvs = data.get("cvs")
    if not isinstance(cvs, list) or not 1 <= len(cvs) <= 2:
        raise error(f"[metadynamics].cvs: expected a list of 1 or 2 CV tables, got {cvs!r}")
    for k, cv in enumerate(cvs):
        key = f"[metadynamics].cvs[{k}]"
        if not isinstance(cv, dict) or cv.get("type") not in _CV_ATOMS:
            raise error(f"{key}: expected {{ type = one of {list(_CV_ATOMS)}, atoms = [...] }}, "
                        f"got {cv!r}")
        atoms = cv.get("atoms")
        n = _CV_ATOMS[cv["type"]]
        if (not isinstance(atoms, list) or not all(isinstance(a, int) and a >= 0 for a in atoms)
                or (n is not None and len(atoms) != n) or not atoms):
            raise error(f"{key}.atoms: expected {n or 'some'} 0-based atom indices, got {atoms!r}")
    for key in ("height",):
        if key not in data:
            raise error(f"[metadynamics].{key}: required key is missing")
    if "sigma" not in data:
        raise error("[metadynamics].sigma: required key is missing")
    return dict(data)


def build_metadynamics(spec: dict, system, state, temperature: float | None, out_dir: Path,
                       append: bool = False):
    """``(Metadynamics, CVReporter or None)`` from a validated table."""
    import numpy as np

    from sponge.cv import RMSD, Angle, Dihedral, Distance, Position
    from sponge.metadynamics import Metadynamics
    from sponge.reporters.cv import CVReporter

    cvs = []
    for k, c in enumerate(spec["cvs"]):
        a = c["atoms"]
        name = c.get("name", f"cv{k}")
        top = max(a)
        if top >= system.n_atoms:
            raise ValueError(f"[metadynamics].cvs[{k}].atoms: atom {top} does not exist "
                             f"(the system has {system.n_atoms} atoms)")
        kind = c["type"]
        if kind == "distance":
            cvs.append(Distance(*a, name=name))
        elif kind == "angle":
            cvs.append(Angle(*a, name=name))
        elif kind == "dihedral":
            cvs.append(Dihedral(*a, name=name))
        elif kind == "position":
            cvs.append(Position(a[0], c.get("axis", 0), name=name))
        else:
            cvs.append(RMSD(np.asarray(state.positions)[a], atoms=a, name=name))
    t = spec.get("temperature", temperature)
    if t is None:
        raise ValueError("[metadynamics].temperature: required (the integrator has none)")

    def out(key):
        return None if spec.get(key) is None else out_dir / spec[key]

    md = Metadynamics(cvs, float(t), height=spec["height"], sigma=spec["sigma"],
                      bias_factor=spec.get("bias_factor"), pace=int(spec.get("pace", 500)),
                      grid_min=spec.get("grid_min"), grid_max=spec.get("grid_max"),
                      grid_bins=spec.get("grid_bins"), hills_file=out("hills_file"),
                      grid_file=out("grid_file"),
                      grid_interval=int(spec.get("grid_interval", 100)))
    rep = None
    if spec.get("cv_file"):
        rep = CVReporter(out("cv_file"), int(spec.get("cv_interval", md.pace)),
                         append=append and out("cv_file").exists())
    return md, rep
