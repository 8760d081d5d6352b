"""Line-level checks of the text inputs OpenMM parses for us.

OpenMM's parsers report malformed input without a line number (or fail much
later, e.g. a truncated parm7 shows up as an index error). These validators
walk the file first and raise :class:`InputFileError` naming the file and the
1-based line of the first problem; they accept everything OpenMM accepts.
"""

from __future__ import annotations

import re
from pathlib import Path


class InputFileError(ValueError):
    """Malformed input; the message names the file and line."""

    def __init__(self, path, line: int | None, message: str) -> None:
        where = f"{path}" if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


def _read_lines(path) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"input file not found: {p}")
    try:
        return p.read_text().splitlines()
    except UnicodeDecodeError as exc:
        raise InputFileError(p, None, f"not a text file ({exc})") from None


_FORMAT = re.compile(r"%FORMAT\((\d+)([aAiIeEfF])(\d+)(?:\.(\d+))?\)")


def _parse_field(text: str, kind: str) -> float | None:
    t = text.strip()
    if kind == "a":
        return None
    if not t:
        raise ValueError("empty field")
    return int(t) if kind == "i" else float(t)


def validate_parm7(path) -> dict[str, list]:
    """Check an Amber parm7 section by section; return the numeric sections.

    Checks: ``%FLAG`` / ``%FORMAT`` structure, every field parses under its
    format, and the sizes of the per-atom, per-bond, ... sections agree with
    ``POINTERS``.
    """
    lines = _read_lines(path)
    if not lines or not (lines[0].startswith("%VERSION") or lines[0].startswith("%FLAG")):
        raise InputFileError(path, 1, "not an Amber parm7 file (expected %VERSION or %FLAG)")
    sections: dict[str, list] = {}
    ends: dict[str, int] = {}
    flag, fmt = None, None
    for n, line in enumerate(lines, start=1):
        if line.startswith("%VERSION") or line.startswith("%COMMENT"):
            continue
        if line.startswith("%FLAG"):
            parts = line.split()
            if len(parts) < 2:
                raise InputFileError(path, n, "%FLAG without a name")
            flag, fmt = parts[1], None
            sections[flag] = []
            ends[flag] = n
            continue
        if line.startswith("%FORMAT"):
            m = _FORMAT.match(line.strip())
            if flag is None or m is None:
                raise InputFileError(path, n, f"bad %FORMAT line {line.strip()!r}")
            fmt = (int(m.group(1)), m.group(2).lower(), int(m.group(3)))
            continue
        if flag is None or fmt is None:
            raise InputFileError(path, n, "data before any %FLAG/%FORMAT header")
        per_line, kind, width = fmt
        if kind == "a":
            sections[flag].extend(line[i : i + width] for i in range(0, len(line), width))
            ends[flag] = n
            continue
        if len(line.rstrip()) > per_line * width:
            raise InputFileError(path, n, f"line longer than %FORMAT allows in section {flag}")
        for i in range(0, len(line.rstrip()), width):
            field = line[i : i + width]
            try:
                sections[flag].append(_parse_field(field, kind))
            except ValueError:
                raise InputFileError(
                    path, n, f"cannot read {field.strip()!r} as a number in section {flag}"
                ) from None
        ends[flag] = n
    if "POINTERS" not in sections or len(sections["POINTERS"]) < 12:
        raise InputFileError(path, len(lines), "missing or short POINTERS section")
    p = sections["POINTERS"]
    natom, ntypes, nbonh, mbona, ntheth, mtheta, nphih, mphia = (
        p[0],
        p[1],
        p[2],
        p[12],
        p[4],
        p[13],
        p[6],
        p[14],
    )
    nres, numbnd, numang, nptra = p[11], p[15], p[16], p[17]
    expected = {
        "ATOM_NAME": natom,
        "CHARGE": natom,
        "MASS": natom,
        "ATOM_TYPE_INDEX": natom,
        "NUMBER_EXCLUDED_ATOMS": natom,
        "RESIDUE_LABEL": nres,
        "RESIDUE_POINTER": nres,
        "NONBONDED_PARM_INDEX": ntypes * ntypes,
        "BOND_FORCE_CONSTANT": numbnd,
        "BOND_EQUIL_VALUE": numbnd,
        "ANGLE_FORCE_CONSTANT": numang,
        "ANGLE_EQUIL_VALUE": numang,
        "DIHEDRAL_FORCE_CONSTANT": nptra,
        "DIHEDRAL_PERIODICITY": nptra,
        "DIHEDRAL_PHASE": nptra,
        "BONDS_INC_HYDROGEN": 3 * nbonh,
        "BONDS_WITHOUT_HYDROGEN": 3 * mbona,
        "ANGLES_INC_HYDROGEN": 4 * ntheth,
        "ANGLES_WITHOUT_HYDROGEN": 4 * mtheta,
        "DIHEDRALS_INC_HYDROGEN": 5 * nphih,
        "DIHEDRALS_WITHOUT_HYDROGEN": 5 * mphia,
    }
    for name, count in expected.items():
        if name not in sections:
            raise InputFileError(path, len(lines), f"section %FLAG {name} is missing")
        have = len(sections[name])
        if name in ("ATOM_NAME", "RESIDUE_LABEL"):
            if have < count:
                raise InputFileError(
                    path, ends[name], f"section {name} has {have} entries; POINTERS says {count}"
                )
            continue
        if have != count:
            raise InputFileError(
                path,
                ends[name],
                f"section {name} has {have} entries; POINTERS says {count} "
                "(file truncated or corrupted?)",
            )
    return sections


def validate_rst7(path, natom: int | None = None) -> None:
    """Check an ASCII Amber restart/inpcrd: title, atom count, 6 numbers (12.7) a line, box."""
    lines = _read_lines(path)
    if len(lines) < 2:
        msg = "truncated: need a title and an atom-count line"
        raise InputFileError(path, len(lines) or 1, msg)
    head = lines[1].split()
    try:
        n = int(head[0])
    except (IndexError, ValueError):
        msg = f"expected the atom count, got {lines[1].strip()!r}"
        raise InputFileError(path, 2, msg) from None
    if natom is not None and n != natom:
        raise InputFileError(path, 2, f"{n} atoms, but the parm7 has {natom}")
    values: list[tuple[int, float]] = []
    for k, line in enumerate(lines[2:], start=3):
        text = line.rstrip()
        for i in range(0, len(text), 12):
            field = text[i : i + 12]
            try:
                values.append((k, float(field)))
            except ValueError:
                msg = f"cannot read {field.strip()!r} as a number"
                raise InputFileError(path, k, msg) from None
    needed = 3 * n
    if len(values) < needed:
        last = values[-1][0] if values else 2
        raise InputFileError(path, last, f"truncated: {len(values) // 3} of {n} coordinates")
    extra = len(values) - needed
    if extra not in (0, 3, 6, needed, needed + 3, needed + 6):
        raise InputFileError(
            path,
            values[-1][0],
            f"{extra} numbers after the coordinates; expected velocities "
            "and/or a box line (truncated file?)",
        )


def validate_pdb(path) -> None:
    """Check ATOM/HETATM records: long enough and with numeric coordinates."""
    lines = _read_lines(path)
    n_atoms = 0
    for k, line in enumerate(lines, start=1):
        rec = line[:6]
        if rec in ("ATOM  ", "HETATM"):
            if len(line.rstrip()) < 54:
                raise InputFileError(
                    path,
                    k,
                    f"{rec.strip()} record too short (coordinates end at column 54; truncated?)",
                )
            for a, b, axis in ((30, 38, "x"), (38, 46, "y"), (46, 54, "z")):
                try:
                    float(line[a:b])
                except ValueError:
                    raise InputFileError(
                        path,
                        k,
                        f"cannot read {axis} coordinate "
                        f"{line[a:b].strip()!r} (columns {a + 1}-{b})",
                    ) from None
            n_atoms += 1
    if n_atoms == 0:
        raise InputFileError(path, None, "no ATOM/HETATM records")


def validate_gro(path) -> None:
    """Check a GROMACS .gro: title, atom count, fixed-column atom lines, box line."""
    lines = _read_lines(path)
    if len(lines) < 3:
        raise InputFileError(path, len(lines) or 1, "truncated: need title, count and box lines")
    try:
        n = int(lines[1].strip())
    except ValueError:
        msg = f"expected the atom count, got {lines[1].strip()!r}"
        raise InputFileError(path, 2, msg) from None
    if len(lines) < n + 3:
        raise InputFileError(
            path,
            len(lines),
            f"truncated: {n} atoms announced, "
            f"{max(len(lines) - 3, 0)} atom lines and a box line found",
        )
    for k in range(2, 2 + n):
        line = lines[k]
        try:
            [float(line[20 + 8 * i : 28 + 8 * i]) for i in range(3)]
        except ValueError:
            raise InputFileError(
                path, k + 1, "cannot read the coordinates (columns 21-44)"
            ) from None
    try:
        box = [float(v) for v in lines[2 + n].split()]
    except ValueError:
        raise InputFileError(path, n + 3, "cannot read the box line") from None
    if len(box) not in (3, 9):
        raise InputFileError(path, n + 3, f"box line needs 3 or 9 numbers, got {len(box)}")
