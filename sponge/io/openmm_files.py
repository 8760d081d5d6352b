"""Load Amber, PDB and GROMACS inputs: OpenMM parses and parameterises, sponge translates.

Each loader validates the text files first (:mod:`sponge.io.validate`, errors
name the file and line), lets OpenMM build an ``openmm.System`` with the
requested options, and passes it to :func:`sponge.from_openmm`. Any error
OpenMM raises is re-raised as :class:`InputFileError` naming the file.

Options (shared): ``nonbonded`` one of "NoCutoff", "CutoffNonPeriodic",
"CutoffPeriodic", "Ewald", "PME", "LJPME"; ``cutoff`` nm; ``constraints``
None, "HBonds", "AllBonds", "HAngles"; ``rigid_water``;
``ewald_error_tolerance`` (OpenMM's, default 5e-4); ``switch_distance`` nm or
None; ``dispersion_correction``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sponge.io.openmm_import import from_openmm
from sponge.io.validate import (
    InputFileError,
    validate_gro,
    validate_parm7,
    validate_pdb,
    validate_rst7,
)
from sponge.state import State
from sponge.system import System

_METHODS = ("NoCutoff", "CutoffNonPeriodic", "CutoffPeriodic", "Ewald", "PME", "LJPME")
_CONSTRAINTS = (None, "HBonds", "AllBonds", "HAngles")


def _options(
    nonbonded, cutoff, constraints, rigid_water, ewald_error_tolerance, switch_distance
) -> dict:
    from openmm import app, unit

    if nonbonded not in _METHODS:
        raise ValueError(f"nonbonded must be one of {_METHODS}; got {nonbonded!r}")
    if constraints not in _CONSTRAINTS:
        raise ValueError(f"constraints must be one of {_CONSTRAINTS}; got {constraints!r}")
    opts = {
        "nonbondedMethod": getattr(app, nonbonded),
        "constraints": None if constraints is None else getattr(app, constraints),
        "rigidWater": bool(rigid_water),
    }
    if nonbonded != "NoCutoff":
        opts["nonbondedCutoff"] = float(cutoff) * unit.nanometer
    if nonbonded in ("Ewald", "PME", "LJPME"):
        opts["ewaldErrorTolerance"] = float(ewald_error_tolerance)
    if switch_distance is not None:
        opts["switchDistance"] = float(switch_distance) * unit.nanometer
    return opts


def _set_dispersion(omm_system, on: bool | None) -> None:
    if on is None:
        return
    for f in omm_system.getForces():
        if type(f).__name__ == "NonbondedForce":
            f.setUseDispersionCorrection(bool(on))


def _wrap_openmm(path, what: str, fn):
    """Run an OpenMM parsing step; re-raise its errors naming ``path``."""
    try:
        return fn()
    except (FileNotFoundError, InputFileError):
        raise
    except Exception as exc:  # OpenMM raises bare Exception/ValueError/IndexError
        raise InputFileError(
            path,
            _quoted_line(path, str(exc)),
            f"OpenMM could not {what}: {type(exc).__name__}: {exc}",
        ) from exc


def _quoted_line(path, message: str) -> int | None:
    """Line number of the file line an OpenMM message quotes ("... line: <text>"), if any."""
    if "line:" not in message:
        return None
    quoted = message.rsplit("line:", 1)[1].strip()
    if not quoted:
        return None
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for k, line in enumerate(lines, start=1):
        if line.strip() == quoted or (len(quoted) > 8 and quoted in line):
            return k
    return None


def load_amber(
    parm7: str | Path,
    rst7: str | Path,
    nonbonded: str = "PME",
    cutoff: float = 1.0,
    constraints: str | None = None,
    rigid_water: bool = True,
    ewald_error_tolerance: float = 5e-4,
    switch_distance: float | None = None,
    dispersion_correction: bool | None = None,
    implicit_solvent: str | None = None,
    dtype: type = np.float64,
) -> tuple[System, State]:
    """Load an Amber topology (parm7/prmtop) and coordinates (rst7/inpcrd).

    Args:
        parm7, rst7: file paths.
        nonbonded, cutoff, constraints, rigid_water, ewald_error_tolerance,
        switch_distance, dispersion_correction: see the module docstring
            (``dispersion_correction=None`` keeps OpenMM's default).
        implicit_solvent: None or an OpenMM implicit model name ("HCT", "OBC1",
            "OBC2", "GBn", "GBn2").

    Returns:
        ``(system, state)``; state has positions, velocities (if present) and box, nm.

    Raises:
        InputFileError: malformed or truncated file (names file and line).
        UnsupportedForceError: a force sponge cannot evaluate.
    """
    from openmm import app, unit

    sections = validate_parm7(parm7)
    natom = int(sections["POINTERS"][0])
    validate_rst7(rst7, natom)
    prmtop = _wrap_openmm(parm7, "read the Amber topology", lambda: app.AmberPrmtopFile(str(parm7)))
    inpcrd = _wrap_openmm(
        rst7, "read the Amber coordinates", lambda: app.AmberInpcrdFile(str(rst7))
    )
    if nonbonded in ("NoCutoff", "CutoffNonPeriodic") or inpcrd.boxVectors is None:
        box = None
    else:
        box = inpcrd.boxVectors
    opts = _options(
        nonbonded, cutoff, constraints, rigid_water, ewald_error_tolerance, switch_distance
    )
    if implicit_solvent is not None:
        opts["implicitSolvent"] = getattr(app, implicit_solvent)
    if box is not None:
        prmtop.topology.setPeriodicBoxVectors(box)
    omm = _wrap_openmm(
        parm7, "build a System from the Amber topology", lambda: prmtop.createSystem(**opts)
    )
    _set_dispersion(omm, dispersion_correction)
    system, state = from_openmm(
        omm, inpcrd.positions, box=box, topology=prmtop.topology, dtype=dtype
    )
    if inpcrd.velocities is not None:
        state.velocities = np.asarray(
            inpcrd.velocities.value_in_unit(unit.nanometer / unit.picosecond), dtype=np.float64
        )
    return system, state


def load_pdb(
    pdb: str | Path,
    forcefield: str | tuple[str, ...] = ("amber14-all.xml", "amber14/tip3p.xml"),
    nonbonded: str = "PME",
    cutoff: float = 1.0,
    constraints: str | None = "HBonds",
    rigid_water: bool = True,
    ewald_error_tolerance: float = 5e-4,
    switch_distance: float | None = None,
    dispersion_correction: bool | None = None,
    dtype: type = np.float64,
) -> tuple[System, State]:
    """Load a PDB file and parameterise it with OpenMM force-field XML files.

    Args:
        pdb: path of a PDB file (box from its CRYST1 record).
        forcefield: XML file names OpenMM's ``ForceField`` understands.
        (other options: see the module docstring)

    Raises:
        InputFileError: malformed PDB (file and line), or a residue no
            template matches (file, residue and the line where it starts).
    """
    from openmm import app

    validate_pdb(pdb)
    pdbfile = _wrap_openmm(pdb, "read the PDB file", lambda: app.PDBFile(str(pdb)))
    if isinstance(forcefield, str):
        forcefield = (forcefield,)
    ff = app.ForceField(*forcefield)
    opts = _options(
        nonbonded, cutoff, constraints, rigid_water, ewald_error_tolerance, switch_distance
    )
    try:
        omm = ff.createSystem(pdbfile.topology, **opts)
    except ValueError as exc:
        raise InputFileError(
            pdb,
            _residue_line(pdb, str(exc)),
            f"OpenMM could not parameterise the structure with {list(forcefield)}: {exc}",
        ) from exc
    _set_dispersion(omm, dispersion_correction)
    box = pdbfile.topology.getPeriodicBoxVectors()
    if nonbonded in ("NoCutoff", "CutoffNonPeriodic"):
        box = None
    return from_openmm(omm, pdbfile.positions, box=box, topology=pdbfile.topology, dtype=dtype)


def _residue_line(pdb, message: str) -> int | None:
    """Line of the first ATOM record of the residue (0-based index) an OpenMM error names."""
    import re

    m = re.search(r"residue (\d+) \((\w+)\)", message)
    if not m:
        return None
    number, name = int(m.group(1)), m.group(2)
    seen, last = 0, None
    for k, line in enumerate(Path(pdb).read_text().splitlines(), start=1):
        if line[:6] in ("ATOM  ", "HETATM"):
            key = (line[21], line[22:27])
            if key != last:
                seen += 1
                last = key
                if seen == number + 1 and line[17:20].strip() == name:  # 0-based index
                    return k
    return None


def load_gromacs(
    top: str | Path,
    gro: str | Path,
    nonbonded: str = "PME",
    cutoff: float = 1.0,
    constraints: str | None = None,
    rigid_water: bool = True,
    ewald_error_tolerance: float = 5e-4,
    switch_distance: float | None = None,
    dispersion_correction: bool | None = None,
    include_dir: str | None = None,
    dtype: type = np.float64,
) -> tuple[System, State]:
    """Load a GROMACS topology (.top) and structure (.gro) through OpenMM.

    Args:
        top, gro: file paths; ``include_dir`` is where ``#include`` files live.

    Raises:
        InputFileError: malformed .gro (file and line) or a .top OpenMM rejects.
    """
    from openmm import app

    validate_gro(gro)
    grofile = _wrap_openmm(gro, "read the .gro file", lambda: app.GromacsGroFile(str(gro)))
    box = grofile.getPeriodicBoxVectors()
    kwargs = {"periodicBoxVectors": box}
    if include_dir is not None:
        kwargs["includeDir"] = str(include_dir)
    topfile = _wrap_openmm(
        top, "read the GROMACS topology", lambda: app.GromacsTopFile(str(top), **kwargs)
    )
    opts = _options(
        nonbonded, cutoff, constraints, rigid_water, ewald_error_tolerance, switch_distance
    )
    omm = _wrap_openmm(
        top, "build a System from the GROMACS topology", lambda: topfile.createSystem(**opts)
    )
    _set_dispersion(omm, dispersion_correction)
    if nonbonded in ("NoCutoff", "CutoffNonPeriodic"):
        box = None
    return from_openmm(omm, grofile.positions, box=box, topology=topfile.topology, dtype=dtype)
