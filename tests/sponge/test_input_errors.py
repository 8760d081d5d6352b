"""Bad input gives an error that names the file and line (or the OpenMM force).

Malformed and truncated parm7 / rst7 / PDB / GROMACS .gro / SPONGE native
files are written to ``tmp_path`` from small good copies; unsupported OpenMM
forces, virtual sites and energy expressions must name themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import sponge
from sponge import InputFileError, UnsupportedForceError

from .openmm_reference import LOCAL_DATA, openmm_path

mm = pytest.importorskip("openmm")
app = pytest.importorskip("openmm.app")

PARM7 = LOCAL_DATA / "ala2_vacuum.parm7"
RST7 = LOCAL_DATA / "ala2_vacuum.rst7"


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def _raises_at(path: Path, line: int | None, fn, *args, **kw):
    with pytest.raises(InputFileError) as info:
        fn(*args, **kw)
    msg = str(info.value)
    assert str(path) in msg, msg
    if line is not None:
        assert re.search(rf"line {line}\b", msg), msg
        assert info.value.line == line
    return msg


def test_good_small_amber_files_load():
    system, state = sponge.load_amber(PARM7, RST7, nonbonded="NoCutoff")
    assert system.n_atoms == 22 and state.box is None


def test_parm7_truncated(tmp_path):
    lines = PARM7.read_text().splitlines()
    cut = next(i for i, s in enumerate(lines) if s.startswith("%FLAG ANGLE_FORCE_CONSTANT")) + 3
    p = _write(tmp_path, "cut.parm7", lines[:cut])
    msg = _raises_at(p, None, sponge.load_amber, p, RST7)
    assert "line" in msg


def test_parm7_bad_number_names_line(tmp_path):
    lines = PARM7.read_text().splitlines()
    k = next(i for i, s in enumerate(lines) if s.startswith("%FLAG CHARGE")) + 3
    lines[k] = "  2.0463642XE+00" + lines[k][16:]
    p = _write(tmp_path, "bad.parm7", lines)
    msg = _raises_at(p, k + 1, sponge.load_amber, p, RST7)
    assert "CHARGE" in msg


def test_parm7_short_section_names_last_line(tmp_path):
    lines = PARM7.read_text().splitlines()
    k = next(i for i, s in enumerate(lines) if s.startswith("%FLAG MASS")) + 2
    del lines[k]      # drop one data line of MASS
    last = next(i for i in range(k, len(lines)) if lines[i].startswith("%FLAG"))  # 1-based
    p = _write(tmp_path, "short.parm7", lines)
    msg = _raises_at(p, last, sponge.load_amber, p, RST7)
    assert "MASS" in msg


def test_rst7_truncated_and_malformed(tmp_path):
    lines = RST7.read_text().splitlines()
    p = _write(tmp_path, "cut.rst7", lines[:6])
    msg = _raises_at(p, 6, sponge.load_amber, PARM7, p)
    assert "truncated" in msg
    bad = list(lines)
    bad[4] = bad[4][:12] + "  47x.45385" + bad[4][23:]
    p = _write(tmp_path, "bad.rst7", bad)
    _raises_at(p, 5, sponge.load_amber, PARM7, p)
    wrong = list(lines)
    wrong[1] = "    21"
    p = _write(tmp_path, "count.rst7", wrong)
    msg = _raises_at(p, 2, sponge.load_amber, PARM7, p)
    assert "22" in msg


@pytest.fixture(scope="module")
def small_pdb_lines():
    # the first residues of OpenMM's alanine dipeptide-like test file: villin's first lines
    return Path(openmm_path("test.pdb")).read_text().splitlines()


def test_pdb_malformed_coordinate(tmp_path, small_pdb_lines):
    lines = list(small_pdb_lines)
    k = next(i for i, s in enumerate(lines) if s.startswith("ATOM")) + 4
    lines[k] = lines[k][:31] + "  abc.def" + lines[k][40:]
    p = _write(tmp_path, "bad.pdb", lines)
    msg = _raises_at(p, k + 1, sponge.load_pdb, p)
    assert "coordinate" in msg


def test_pdb_truncated_mid_line(tmp_path, small_pdb_lines):
    lines = list(small_pdb_lines)
    k = next(i for i, s in enumerate(lines) if s.startswith("ATOM")) + 10
    lines = lines[:k] + [lines[k][:40]]
    p = _write(tmp_path, "cut.pdb", lines)
    _raises_at(p, k + 1, sponge.load_pdb, p)


def test_pdb_truncated_residue_names_residue_and_line(tmp_path, small_pdb_lines):
    """Cut at a line boundary inside a residue: OpenMM finds no template."""
    lines = [s for s in small_pdb_lines if s.startswith(("ATOM", "CRYST1"))]
    lines = lines[:30]       # the protein's third residue loses atoms
    p = _write(tmp_path, "partial.pdb", lines + ["END"])
    with pytest.raises(InputFileError) as info:
        sponge.load_pdb(p, forcefield=("amber14-all.xml",), nonbonded="NoCutoff",
                        constraints=None)
    msg = str(info.value)
    assert str(p) in msg and "template" in msg.lower()
    assert info.value.line is not None and lines[info.value.line - 1].startswith("ATOM")


def test_gro_truncated(tmp_path):
    p = _write(tmp_path, "cut.gro", ["water", "    3",
                                     "    1SOL     OW    1   0.126   1.624   1.679"])
    msg = _raises_at(p, 3, sponge.load_gromacs, tmp_path / "x.top", p)
    assert "truncated" in msg


def _native_files(folder: Path):
    """A tiny native system: one 3-atom molecule with a bond, an angle and LJ."""
    files = {
        "coordinate": ["3", "0.0 0.0 0.0", "1.0 0.0 0.0", "1.0 1.0 0.0",
                       "20.0 20.0 20.0 90.0 90.0 90.0"],
        "mass": ["3", "12.0", "1.008", "1.008"],
        "charge": ["3", "-7.28", "3.64", "3.64"],
        "bond": ["2", "0 1 300.0 1.09", "0 2 300.0 1.09"],
        "angle": ["1", "1 0 2 35.0 1.91"],
        "LJ": ["3 2", "", "1.0e6", "0.0 0.0", "", "600.0", "0.0 0.0", "", "0", "1", "1"],
        "exclude": ["3 3", "2 1 2", "1 2", "0"],
    }
    for kind, lines in files.items():
        _write(folder, f"T_{kind}.txt", lines)
    return files


def test_native_tiny_system_energy(tmp_path):
    _native_files(tmp_path)
    system, state = sponge.load_sponge(tmp_path / "T", nonbonded="NoCutoff")
    pos = state.positions * 10.0
    r = np.linalg.norm(pos[[1, 2]] - pos[0], axis=1)
    e_bond = np.sum(300.0 * (r - 1.09) ** 2) * 4.184
    assert system.term("bond").energy(state.positions) == pytest.approx(e_bond, rel=1e-12)
    u, v = pos[1] - pos[0], pos[2] - pos[0]
    theta = np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v))
    assert system.term("angle").energy(state.positions) == pytest.approx(
        35.0 * (theta - 1.91) ** 2 * 4.184, rel=1e-12)


@pytest.mark.parametrize(
    ("kind", "line_index", "new", "line"),
    [
        ("bond", 2, "0 2 300.0", 3),          # truncated entry: the file ends on line 3
        ("bond", 1, "0 1 3x0.0 1.09", 2),     # bad number
        ("bond", 2, "0 7 300.0 1.09", 3),     # atom index out of range
        ("coordinate", 2, "1.0 zero 0.0", 3),
        ("LJ", 9, "5", 10),                   # LJ type out of range
        ("exclude", 1, "2 1", 4),             # count 2, one index: reads on to the end
    ],
)
def test_native_malformed_names_file_and_line(tmp_path, kind, line_index, new, line):
    files = _native_files(tmp_path)
    lines = list(files[kind])
    lines[line_index] = new
    p = _write(tmp_path, f"T_{kind}.txt", lines)
    _raises_at(p, line, sponge.load_sponge, tmp_path / "T", nonbonded="NoCutoff")


def test_native_truncated_file(tmp_path):
    files = _native_files(tmp_path)
    p = _write(tmp_path, "T_coordinate.txt", files["coordinate"][:3])
    msg = _raises_at(p, 3, sponge.load_sponge, tmp_path / "T", nonbonded="NoCutoff")
    assert "end of file" in msg


def test_native_nbfix_lj_rejected_with_line(tmp_path):
    files = _native_files(tmp_path)
    lj = list(files["LJ"])
    lj[2], lj[3], lj[5], lj[6] = "1.0e6", "5.0e4 1.0e6", "600.0", "90.0 600.0"
    p = _write(tmp_path, "T_LJ.txt", lj)
    msg = _raises_at(p, 4, sponge.load_sponge, tmp_path / "T", nonbonded="NoCutoff")
    assert "Lorentz-Berthelot" in msg


def _tiny_openmm(force):
    s = mm.System()
    for _ in range(4):
        s.addParticle(1.0)
    s.addForce(force)
    return s, np.random.default_rng(0).uniform(size=(4, 3))


def test_unsupported_openmm_force_names_itself():
    f = mm.CustomExternalForce("x^2")
    f.addParticle(0, [])
    s, pos = _tiny_openmm(f)
    with pytest.raises(UnsupportedForceError, match=r"force 0 \(CustomExternalForce\)"):
        sponge.from_openmm(s, pos)


def test_unsupported_custom_torsion_expression_names_it():
    f = mm.CustomTorsionForce("k*cos(3*theta)")
    f.addPerTorsionParameter("k")
    f.addTorsion(0, 1, 2, 3, [1.0])
    s, pos = _tiny_openmm(f)
    with pytest.raises(UnsupportedForceError, match=r"CustomTorsionForce.*k\*cos\(3\*theta\)"):
        sponge.from_openmm(s, pos)


def test_unsupported_virtual_site_names_itself():
    s, pos = _tiny_openmm(mm.HarmonicBondForce())
    s.setVirtualSite(3, mm.SymmetrySite(0, mm.Vec3(1, 0, 0), mm.Vec3(0, 1, 0), mm.Vec3(0, 0, 1),
                                        mm.Vec3(0.1, 0, 0), False))
    with pytest.raises(UnsupportedForceError, match="SymmetrySite"):
        sponge.from_openmm(s, pos)


def test_gb_force_translated_or_named():
    f = mm.GBSAOBCForce()
    for _ in range(4):
        f.addParticle(0.1, 0.15, 0.8)
    s, pos = _tiny_openmm(f)
    try:
        system, _ = sponge.from_openmm(s, pos)
    except UnsupportedForceError as exc:
        assert "GBSAOBCForce" in str(exc)
    else:
        assert len(system.terms) == 1


def _sponge_phi(c):
    """The dihedral exactly as SPONGE's own torsion tests define it (independent formula)."""
    drij, drkj, drkl = c[0] - c[1], c[2] - c[1], c[2] - c[3]
    n1, n2 = np.cross(drij, drkj), np.cross(drkl, drkj)
    norm = np.sqrt(n1 @ n1 * (n2 @ n2))
    cosine = -(n1 @ n2) / norm
    sine = np.cross(n2, n1) @ drkj / (norm * np.sqrt(drkj @ drkj))
    return np.arctan2(sine, cosine)


def test_native_torsions_follow_sponge_conventions(tmp_path):
    """Negative periodicity and harmonic impropers (radians, wrapped) as SPONGE evaluates them."""
    coords = np.array([[1.0, 2.2, 0.3], [2.1, 0.8, 1.9], [4.3, 3.1, 1.1], [5.8, 1.7, 4.2]])
    files = {
        "coordinate": ["4", *(" ".join(map(str, r)) for r in coords),
                       "40.0 40.0 40.0 90.0 90.0 90.0"],
        "mass": ["4", "12.0", "12.0", "12.0", "12.0"],
        "dihedral": ["1", "0 1 2 3 -3 1.7 0.61"],
        "improper_dihedral": ["1", "0 1 2 3 1.3 2.9"],
    }
    for kind, lines in files.items():
        _write(tmp_path, f"S_{kind}.txt", lines)
    system, state = sponge.load_sponge(tmp_path / "S", nonbonded="NoCutoff")
    phi = _sponge_phi(coords)
    e_dih = 1.7 * (1 + np.cos(-3 * phi - 0.61)) * 4.184
    e_imp = 1.3 * \
        ((phi - 2.9 + np.pi) % (2 * np.pi) - np.pi) ** 2 * 4.184
    assert system.term("torsion").energy(state.positions) == pytest.approx(e_dih, rel=1e-12)
    assert system.term("improper").energy(state.positions) == pytest.approx(e_imp, rel=1e-12)


def test_native_zero_periodicity_names_line(tmp_path):
    _native_files(tmp_path)
    p = _write(tmp_path, "T_dihedral.txt", ["2", "0 1 2 0 2 1.0 0.0", "1 0 2 1 0 1.0 0.0"])
    # atoms may repeat in this toy file; the periodicity check comes first
    _raises_at(p, 3, sponge.load_sponge, tmp_path / "T", nonbonded="NoCutoff")


def test_gromacs_top_error_names_line(tmp_path):
    top = (LOCAL_DATA / "tiny.top").read_text().splitlines()
    k = next(i for i, s in enumerate(top) if s.strip().startswith("5  2  3  6  9"))
    top[k] = "   5  2  3  6  7     0.0  0.627  3"     # function type 7 does not exist
    p = _write(tmp_path, "bad.top", top)
    msg = _raises_at(p, k + 1, sponge.load_gromacs, p, LOCAL_DATA / "tiny.gro",
                     nonbonded="NoCutoff")
    assert "dihedrals" in msg


def test_native_virtual_atoms(tmp_path):
    """SPONGE virtual atoms: type 2 (linear, TIP4P's M) and type 3 (fixed distance)."""
    files = _native_files(tmp_path)
    files["coordinate"] = ["5", "0.0 0.0 0.0", "1.0 0.0 0.0", "1.0 1.0 0.0", "0.0 0.0 0.0",
                           "0.0 0.0 0.0", "20.0 20.0 20.0 90.0 90.0 90.0"]
    files["mass"] = ["5", "12.0", "1.008", "1.008", "0.0", "0.0"]
    files["charge"] = ["5", "-7.28", "3.64", "3.64", "0.0", "0.0"]
    files["LJ"] = ["5 2", "", "1.0e6", "0.0 0.0", "", "600.0", "0.0 0.0", "", "0", "1", "1",
                   "1", "1"]
    files["exclude"] = ["5 3", "2 1 2", "1 2", "0", "0", "0"]
    for kind, lines in files.items():
        _write(tmp_path, f"T_{kind}.txt", lines)
    _write(tmp_path, "T_virtual_atom.txt", ["2 3 0 1 2 0.2 0.3", "3 4 0 1 2 0.5 0.5  # EP"])
    system, state = sponge.load_sponge(tmp_path / "T", nonbonded="NoCutoff")
    x = np.array([[0.0, 0, 0], [1.0, 0, 0], [1.0, 1.0, 0]]) / 10.0
    assert np.allclose(state.positions[3], x[0] + 0.2 * (x[1] - x[0]) + 0.3 * (x[2] - x[0]))
    d = (x[1] - x[0]) + 0.5 * (x[2] - x[1])
    assert np.allclose(state.positions[4], x[0] + 0.05 * d / np.linalg.norm(d))
    assert np.all(system.forces(state)[3:] == 0.0)
    _write(tmp_path, "T_virtual_atom.txt", ["2 3 0 1 2 0.2 0.3", "2 4 0 1 0.5 0.5"])
    p = tmp_path / "T_virtual_atom.txt"
    _raises_at(p, 2, sponge.load_sponge, tmp_path / "T", nonbonded="NoCutoff")
    _write(tmp_path, "T_virtual_atom.txt", ["0 3 0 1.5"])
    _raises_at(p, 1, sponge.load_sponge, tmp_path / "T", nonbonded="NoCutoff")
