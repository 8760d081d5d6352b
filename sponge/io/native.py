"""SPONGE's native text inputs (the ``<prefix>_*.txt`` files Xponge writes).

Files read (all whitespace-separated numbers, parsed token by token like
SPONGE's ``fscanf``; units Angstrom, kcal/mol, rad, amu; charges times
18.2223):

=========================  ===================================================
``_coordinate.txt``        ``N [time]``, N lines ``x y z``, then ``a b c alpha beta gamma``
``_velocity.txt``          ``N``, N lines ``vx vy vz`` (A/ps), optional
``_mass.txt``              ``N``, N masses
``_charge.txt``            ``N``, N charges (e * 18.2223)
``_LJ.txt``                ``N ntypes``, lower triangle of A (kcal/mol A^12), of B
                           (kcal/mol A^6), then N type indices; E = A/r^12 - B/r^6
``_bond.txt``              ``n``, n lines ``i j k r0``; E = k (r - r0)^2
``_angle.txt``             ``n``, n lines ``i j l k theta0``; E = k (theta - theta0)^2
``_dihedral.txt``          ``n``, lines ``i j l m periodicity k phase``; E = k (1 + cos(n phi - ph))
``_improper_dihedral.txt`` ``n``, lines ``i j l m k phi0``; E = k w(phi - phi0)^2, w: wrap to +-pi
``_nb14.txt``              ``n``, n lines ``i j lj_scale coulomb_scale``
``_exclude.txt``           ``N total``, N lines ``count j1 j2 ...``
``_virtual_atom.txt``      one site a line: ``1 v a b w`` (v = a + w (b - a)), ``2 v a b c wb wc``
                           (v = a + wb (b - a) + wc (c - a)), ``3 v a b c d k``
                           (v = a + d D/|D|, D = (b - a) + k (c - b))
``_cmap.txt``              ``n ntypes``, per type ``resolution`` and res*res energies
                           (phi rows, psi columns, from -180 deg), n lines ``a b c d e type``
``_atom_name.txt`` etc.    names (optional)
=========================  ===================================================

Bonded terms use the minimum image in a periodic box, as SPONGE does. The
files are translated into an ``openmm.System`` (so that the nonbonded
part goes through the same :class:`sponge.nonbonded.NonbondedTerm` as every
other loader) and then through :func:`sponge.from_openmm`. Every parse error
names the file and line.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sponge.io.validate import InputFileError
from sponge.state import State
from sponge.system import System

KCAL = 4.184
CHARGE_SCALE = 18.2223
_FORCE_FILES_UNSUPPORTED = ("urey_bradley", "LJ_soft_core", "nb14_extra")


class _Tokens:
    """Whitespace tokens of a file, each with its 1-based line number."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text()
        except UnicodeDecodeError as exc:
            raise InputFileError(path, None, f"not a text file ({exc})") from None
        self.tokens: list[tuple[str, int]] = []
        for n, line in enumerate(text.splitlines(), start=1):
            self.tokens.extend((tok, n) for tok in line.split())
        self.pos = 0
        self.last_line = max(len(text.splitlines()), 1)

    def _next(self, what: str) -> tuple[str, int]:
        if self.pos >= len(self.tokens):
            raise InputFileError(
                self.path,
                self.last_line,
                f"unexpected end of file while reading {what} (truncated?)",
            )
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def int(self, what: str) -> int:
        tok, line = self._next(what)
        try:
            return int(tok)
        except ValueError:
            raise InputFileError(
                self.path, line, f"expected an integer ({what}), got {tok!r}"
            ) from None

    def float(self, what: str) -> float:
        tok, line = self._next(what)
        try:
            value = float(tok)
        except ValueError:
            raise InputFileError(
                self.path, line, f"expected a number ({what}), got {tok!r}"
            ) from None
        if not math.isfinite(value):
            raise InputFileError(self.path, line, f"non-finite value {tok!r} ({what})")
        return value

    def line(self) -> int:
        """Line of the token read last."""
        return self.tokens[self.pos - 1][1] if self.pos else 1

    def atom(self, n_atoms: int, what: str) -> int:
        value = self.int(what)
        if not 0 <= value < n_atoms:
            raise InputFileError(
                self.path, self.line(), f"atom index {value} out of range 0..{n_atoms - 1} ({what})"
            )
        return value


def _count_header(tok: _Tokens, n_atoms: int | None, what: str) -> int:
    n = tok.int(f"the number of {what}")
    if n < 0:
        raise InputFileError(tok.path, tok.line(), f"negative count {n}")
    if n_atoms is not None and what == "atoms" and n != n_atoms:
        raise InputFileError(tok.path, tok.line(), f"{n} atoms; other files have {n_atoms}")
    return n


def _resolve(prefix_or_dir) -> tuple[Path, str]:
    p = Path(prefix_or_dir)
    if p.is_dir():
        coords = sorted(p.glob("*_coordinate.txt"))
        if len(coords) != 1:
            raise FileNotFoundError(
                f"{p}: expected exactly one *_coordinate.txt to find the prefix, "
                f"found {[c.name for c in coords]}"
            )
        return p, coords[0].name[: -len("_coordinate.txt")]
    return p.parent, p.name


def read_native(prefix_or_dir: str | Path) -> dict:
    """Parse the native files into plain arrays (native units); see the module docstring."""
    folder, prefix = _resolve(prefix_or_dir)

    def path(kind: str) -> Path:
        return folder / f"{prefix}_{kind}.txt"

    for kind in _FORCE_FILES_UNSUPPORTED:
        if path(kind).exists():
            raise InputFileError(
                path(kind), None, f"native {kind} terms are not supported by load_sponge yet"
            )
    if not path("coordinate").exists():
        raise FileNotFoundError(f"native input: {path('coordinate')} not found")
    out: dict = {"folder": folder, "prefix": prefix}

    tok = _Tokens(path("coordinate"))
    n = _count_header(tok, None, "atoms")
    if len(tok.tokens) > 1 and tok.tokens[1][1] == 1:  # optional start time on line 1
        out["time"] = tok.float("start time")
    out["coordinate"] = np.array(
        [[tok.float(f"coordinate of atom {i}") for _ in range(3)] for i in range(n)]
    )
    out["box"] = np.array([tok.float("box length") for _ in range(3)])
    out["box_angles"] = np.array([tok.float("box angle") for _ in range(3)])

    if path("velocity").exists():
        tok = _Tokens(path("velocity"))
        _count_header(tok, n, "atoms")
        out["velocity"] = np.array(
            [[tok.float(f"velocity of atom {i}") for _ in range(3)] for i in range(n)]
        )
    for kind, default in (("mass", 20.0), ("charge", 0.0)):
        if path(kind).exists():
            tok = _Tokens(path(kind))
            _count_header(tok, n, "atoms")
            out[kind] = np.array([tok.float(f"{kind} of atom {i}") for i in range(n)])
        else:
            out[kind] = np.full(n, default)

    if path("LJ").exists():
        tok = _Tokens(path("LJ"))
        _count_header(tok, n, "atoms")
        ntypes = tok.int("the number of LJ types")
        tables = []
        for name in ("A", "B"):
            m = np.zeros((ntypes, ntypes))
            lines = np.zeros((ntypes, ntypes), dtype=np.int64)
            for i in range(ntypes):
                for j in range(i + 1):
                    m[i, j] = m[j, i] = tok.float(f"LJ {name} coefficient of types {i},{j}")
                    lines[i, j] = lines[j, i] = tok.line()
            tables.append((m, lines))
        out["lj_a"], out["lj_lines"] = tables[0]
        out["lj_b"] = tables[1][0]
        types = []
        for i in range(n):
            t = tok.int(f"LJ type of atom {i}")
            if not 0 <= t < ntypes:
                raise InputFileError(
                    tok.path, tok.line(), f"LJ type {t} of atom {i} out of range 0..{ntypes - 1}"
                )
            types.append(t)
        out["lj_type"] = np.array(types, dtype=np.int64)
        out["lj_path"] = path("LJ")

    def listed(kind: str, n_idx: int, n_val: int, names: tuple[str, ...]):
        if not path(kind).exists():
            return np.zeros((0, n_idx), np.int64), np.zeros((0, n_val))
        tok = _Tokens(path(kind))
        m = _count_header(tok, None, f"{kind} entries")
        idx = np.zeros((m, n_idx), np.int64)
        val = np.zeros((m, n_val))
        lines = np.zeros(m, np.int64)
        for e in range(m):
            for k in range(n_idx):
                idx[e, k] = tok.atom(n, f"{kind} entry {e}")
            lines[e] = tok.line()
            for k in range(n_val):
                val[e, k] = tok.float(f"{names[k]} of {kind} entry {e}")
        out[f"{kind}_lines"] = lines
        return idx, val

    out["bond"] = listed("bond", 2, 2, ("k", "r0"))
    out["angle"] = listed("angle", 3, 2, ("k", "theta0"))
    out["dihedral"] = listed("dihedral", 4, 3, ("periodicity", "k", "phase"))
    out["improper_dihedral"] = listed("improper_dihedral", 4, 2, ("k", "phi0"))
    out["nb14"] = listed("nb14", 2, 2, ("LJ scale", "Coulomb scale"))
    (_, dv) = out["dihedral"]
    for e in range(len(dv)):
        if dv[e, 0] != round(dv[e, 0]) or dv[e, 0] == 0:
            raise InputFileError(
                path("dihedral"),
                int(out["dihedral_lines"][e]),
                f"dihedral entry {e}: periodicity {dv[e, 0]:g} must be a non-zero integer",
            )

    excl = []
    if path("exclude").exists():
        tok = _Tokens(path("exclude"))
        _count_header(tok, n, "atoms")
        total = tok.int("the total number of exclusions")
        for i in range(n):
            c = tok.int(f"exclusion count of atom {i}")
            excl.extend((i, tok.atom(n, f"exclusion of atom {i}")) for _ in range(c))
        if len(excl) != total:
            raise InputFileError(
                tok.path, 1, f"header says {total} exclusions, the lists hold {len(excl)}"
            )
    out["exclude"] = np.array(excl, dtype=np.int64).reshape(-1, 2)

    maps, cmaps = [], []
    if path("cmap").exists():
        tok = _Tokens(path("cmap"))
        ncmap = _count_header(tok, None, "CMAP entries")
        ntype = tok.int("the number of CMAP types")
        for t in range(ntype):
            res = tok.int(f"resolution of CMAP type {t}")
            if res < 2:
                raise InputFileError(tok.path, tok.line(), f"bad CMAP resolution {res}")
            maps.append(
                np.array(
                    [tok.float(f"CMAP type {t} grid value {k}") for k in range(res * res)]
                ).reshape(res, res)
            )
        for c in range(ncmap):
            atoms = [tok.atom(n, f"CMAP entry {c}") for _ in range(5)]
            t = tok.int(f"type of CMAP entry {c}")
            if not 0 <= t < ntype:
                raise InputFileError(tok.path, tok.line(), f"CMAP type {t} out of range")
            cmaps.append((*atoms, t))
    out["cmap_maps"] = maps
    out["cmap"] = np.array(cmaps, dtype=np.int64).reshape(-1, 6)

    out["virtual_atoms"] = _read_virtual_atoms(path("virtual_atom"), n)

    names = {}
    for kind in ("atom_name", "atom_type_name", "resname"):
        if path(kind).exists():
            lines = path(kind).read_text().split()
            names[kind] = lines[1:]
    if path("residue").exists():
        tok = _Tokens(path("residue"))
        _count_header(tok, n, "atoms")
        nres = tok.int("the number of residues")
        sizes = [tok.int(f"size of residue {r}") for r in range(nres)]
        if sum(sizes) != n:
            raise InputFileError(
                tok.path, tok.line(), f"residue sizes sum to {sum(sizes)}, not {n} atoms"
            )
        names["residue_sizes"] = sizes
    out["names"] = names
    return out


def _read_virtual_atoms(path: Path, n: int) -> list[tuple[int, int, tuple[int, ...], tuple]]:
    """Records ``(type, site, parents, parameters)`` of a SPONGE virtual-atom file."""
    if not path.exists():
        return []
    shapes = {1: (2, 1), 2: (3, 2), 3: (3, 2)}
    records = []
    for line_no, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        try:
            kind, site = int(fields[0]), int(fields[1])
        except (IndexError, ValueError):
            continue  # SPONGE skips lines that do not start with two integers
        if kind not in shapes:
            raise InputFileError(
                path,
                line_no,
                f"virtual atom type {kind} is not supported (sponge reads types 1, 2 and 3)",
            )
        n_from, n_par = shapes[kind]
        if len(fields) != 2 + n_from + n_par:
            raise InputFileError(
                path,
                line_no,
                f"virtual atom type {kind} needs "
                f"{n_from} atoms and {n_par} parameters; got {fields[2:]}",
            )
        try:
            parents = tuple(int(x) for x in fields[2 : 2 + n_from])
            params = tuple(float(x) for x in fields[2 + n_from :])
        except ValueError:
            raise InputFileError(path, line_no, f"cannot read {line.strip()!r}") from None
        for a in (site, *parents):
            if not 0 <= a < n:
                raise InputFileError(path, line_no, f"atom index {a} out of range 0..{n - 1}")
        records.append((kind, site, parents, params))
    return records


def _add_virtual_atoms(system: System, records) -> None:
    vs = system.virtual_sites
    for kind, site, parents, params in records:
        if kind == 1:
            vs.add_two_particle_average(site, *parents, 1.0 - params[0], params[0])
        elif kind == 2:
            a, b = params
            vs.add_three_particle_average(site, *parents, 1.0 - a - b, a, b)
        else:
            vs.add_fixed_distance(site, *parents, params[0] / 10.0, params[1])


def _lj_per_type(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """sigma (nm), epsilon (kJ/mol) per LJ type from the diagonal; off-diagonals checked."""
    a, b, lines, path = data["lj_a"], data["lj_b"], data["lj_lines"], data["lj_path"]
    diag_a, diag_b = np.diag(a), np.diag(b)
    ok = (diag_a > 0) & (diag_b > 0)
    sigma = np.full(len(diag_a), 0.1)
    eps = np.zeros(len(diag_a))
    sigma[ok] = (diag_a[ok] / diag_b[ok]) ** (1 / 6) / 10.0
    eps[ok] = diag_b[ok] ** 2 / (4 * diag_a[ok]) * KCAL
    s = 0.5 * (sigma[:, None] + sigma[None, :]) * 10.0
    e = np.sqrt(eps[:, None] * eps[None, :]) / KCAL
    a_lb, b_lb = 4 * e * s**12, 4 * e * s**6
    bad = ~(
        np.isclose(a, a_lb, rtol=2e-5, atol=1e-6 * a.max())
        & np.isclose(b, b_lb, rtol=2e-5, atol=1e-6 * b.max())
    )
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputFileError(
            path,
            int(lines[i, j]),
            f"LJ pair of types {i},{j} (A={a[i, j]:g}, B={b[i, j]:g}) does not "
            "follow the Lorentz-Berthelot rule of the per-type parameters; "
            "pair-specific LJ (NBFIX) is not supported",
        )
    return sigma, eps


def native_to_openmm(
    data: dict,
    nonbonded: str = "PME",
    cutoff: float = 1.0,
    ewald_error_tolerance: float = 5e-4,
    dispersion_correction: bool = True,
):
    """Build an ``openmm.System`` from :func:`read_native` data (OpenMM units)."""
    import openmm as mm

    n = len(data["mass"])
    omm = mm.System()
    for m in data["mass"]:
        omm.addParticle(float(m))
    box_nm = _box_vectors(data["box"], data["box_angles"]) / 10.0
    omm.setDefaultPeriodicBoxVectors(*(mm.Vec3(*v) for v in box_nm))

    (bi, bv) = data["bond"]
    f = mm.HarmonicBondForce()
    for (i, j), (k, r0) in zip(bi, bv, strict=True):
        f.addBond(int(i), int(j), r0 / 10.0, 2 * k * KCAL * 100.0)
    omm.addForce(f)
    (ai, av) = data["angle"]
    f = mm.HarmonicAngleForce()
    for (i, j, m), (k, t0) in zip(ai, av, strict=True):
        f.addAngle(int(i), int(j), int(m), t0, 2 * k * KCAL)
    omm.addForce(f)
    (di, dv) = data["dihedral"]
    f = mm.PeriodicTorsionForce()
    for (i, j, m, l), (per, k, ph) in zip(di, dv, strict=True):
        # SPONGE allows n < 0: cos(n phi - ph) = cos(|n| phi + ph)
        sign = 1 if per > 0 else -1
        f.addTorsion(int(i), int(j), int(m), int(l), int(abs(per)), sign * ph, k * KCAL)
    omm.addForce(f)
    (ii, iv) = data["improper_dihedral"]
    if len(ii):
        f = mm.CustomTorsionForce(
            "k*dtheta^2; dtheta = theta - theta0 - 2*pi*floor((theta - "
            f"theta0)/(2*pi) + 0.5); pi = {math.pi!r}"
        )
        f.addPerTorsionParameter("k")
        f.addPerTorsionParameter("theta0")
        for (i, j, m, l), (k, phi0) in zip(ii, iv, strict=True):
            f.addTorsion(int(i), int(j), int(m), int(l), [k * KCAL, phi0])
        omm.addForce(f)
    if len(data["cmap"]):
        f = mm.CMAPTorsionForce()
        for grid in data["cmap_maps"]:
            size = grid.shape[0]
            h = size // 2
            flat = [
                grid[(a + h) % size, (b + h) % size] * KCAL
                for b in range(size)
                for a in range(size)
            ]
            f.addMap(size, flat)
        for a, b, c, d, e, t in data["cmap"]:
            f.addTorsion(int(t), int(a), int(b), int(c), int(d), int(b), int(c), int(d), int(e))
        omm.addForce(f)

    nb = mm.NonbondedForce()
    charges = data["charge"] / CHARGE_SCALE
    if "lj_type" in data:
        sig_t, eps_t = _lj_per_type(data)
        sigma, eps = sig_t[data["lj_type"]], eps_t[data["lj_type"]]
    else:
        sigma, eps = np.full(n, 0.1), np.zeros(n)
    for i in range(n):
        nb.addParticle(float(charges[i]), float(sigma[i]), float(eps[i]))
    for i, j in data["exclude"]:
        nb.addException(int(i), int(j), 0.0, 0.1, 0.0, True)
    (ni, nv) = data["nb14"]
    for (i, j), (lj, ee) in zip(ni, nv, strict=True):
        nb.addException(
            int(i),
            int(j),
            float(charges[i] * charges[j] * ee),
            float(0.5 * (sigma[i] + sigma[j])),
            float(np.sqrt(eps[i] * eps[j]) * lj),
            True,
        )
    methods = {
        "NoCutoff": nb.NoCutoff,
        "CutoffNonPeriodic": nb.CutoffNonPeriodic,
        "CutoffPeriodic": nb.CutoffPeriodic,
        "Ewald": nb.Ewald,
        "PME": nb.PME,
    }
    if nonbonded not in methods:
        raise ValueError(f"nonbonded must be one of {list(methods)}; got {nonbonded!r}")
    nb.setNonbondedMethod(methods[nonbonded])
    # SPONGE takes every bonded difference vector by minimum image in a periodic box
    periodic = nonbonded in ("CutoffPeriodic", "Ewald", "PME")
    for f in omm.getForces():
        if not isinstance(f, mm.NonbondedForce):
            f.setUsesPeriodicBoundaryConditions(periodic)
    nb.setCutoffDistance(cutoff)
    nb.setEwaldErrorTolerance(ewald_error_tolerance)
    nb.setUseDispersionCorrection(bool(dispersion_correction))
    omm.addForce(nb)
    return omm


def _box_vectors(lengths, angles_deg) -> np.ndarray:
    """Box vectors (rows) from a, b, c and alpha, beta, gamma (degrees), OpenMM's reduced form."""
    a, b, c = lengths
    al, be, ga = np.radians(angles_deg)
    if np.allclose(angles_deg, 90.0):
        return np.diag([a, b, c]).astype(float)
    bx, by = b * np.cos(ga), b * np.sin(ga)
    cx = c * np.cos(be)
    cy = c * (np.cos(al) - np.cos(be) * np.cos(ga)) / np.sin(ga)
    cz = math.sqrt(max(c * c - cx * cx - cy * cy, 0.0))
    return np.array([[a, 0, 0], [bx, by, 0], [cx, cy, cz]])


def _topology(data: dict):
    from sponge.topology import Topology

    names = data["names"]
    n = len(data["mass"])
    atom_names = names.get("atom_name", [f"A{i}" for i in range(n)])
    sizes = names.get("residue_sizes", [n])
    res_names = names.get("resname", ["RES"] * len(sizes))
    res_index = np.repeat(np.arange(len(sizes)), sizes)
    elements = [_element_from_mass(m) for m in data["mass"]]
    return Topology(
        atom_names=list(atom_names[:n]),
        elements=elements,
        residue_index=res_index,
        residue_names=list(res_names[: len(sizes)]),
    )


_ELEMENTS = {
    1: "H",
    12: "C",
    14: "N",
    16: "O",
    19: "F",
    23: "Na",
    31: "P",
    32: "S",
    35: "Cl",
    39: "K",
    40: "Ca",
    24: "Mg",
    65: "Zn",
    80: "Br",
    127: "I",
}


def _element_from_mass(mass: float) -> str:
    return _ELEMENTS.get(int(round(mass)), "") if mass > 0.5 else ""


def load_sponge(
    prefix_or_dir: str | Path,
    nonbonded: str = "PME",
    cutoff: float = 1.0,
    ewald_error_tolerance: float = 5e-4,
    dispersion_correction: bool = True,
    dtype: type = np.float64,
) -> tuple[System, State]:
    """Load SPONGE native inputs (``<prefix>_*.txt``) as ``(System, State)``.

    Args:
        prefix_or_dir: the files' common prefix as a path (``dir/ALA``), or a
            folder holding exactly one ``*_coordinate.txt``.
        nonbonded, cutoff (nm), ewald_error_tolerance, dispersion_correction:
            as for :func:`sponge.load_amber`.

    Returns:
        ``(system, state)`` in nm, kJ/mol; ``system.native`` keeps the parsed
        files (native units) for inspection.

    Raises:
        InputFileError: malformed or truncated file (names file and line).
    """
    from sponge.io.openmm_import import from_openmm

    data = read_native(prefix_or_dir)
    omm = native_to_openmm(data, nonbonded, cutoff, ewald_error_tolerance, dispersion_correction)
    box = (
        None
        if nonbonded in ("NoCutoff", "CutoffNonPeriodic")
        else _box_vectors(data["box"], data["box_angles"]) / 10.0
    )
    system, state = from_openmm(omm, data["coordinate"] / 10.0, box=box, dtype=dtype)
    system.topology = _topology(data)
    system.native = data
    _add_virtual_atoms(system, data["virtual_atoms"])
    system.virtual_sites.compute_positions(state.positions)
    if "velocity" in data:
        state.velocities = data["velocity"] / 10.0
    state.time = float(data.get("time", 0.0))
    return system, state
