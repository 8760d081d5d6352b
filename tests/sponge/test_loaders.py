"""Loaders through OpenMM: GROMACS (RB torsions, GROMACS impropers, UB), PDB + force field XML.

Each result is compared term by term with OpenMM evaluating the System it
built itself (Reference platform, double precision).
"""

from __future__ import annotations

import numpy as np
import pytest

import sponge
from sponge.forces.expression import UnsupportedExpressionError, parse_harmonic_torsion

from .openmm_reference import LOCAL_DATA, compare_with_openmm

app = pytest.importorskip("openmm.app")
unit = pytest.importorskip("openmm.unit")


def test_load_gromacs_rb_improper_ub():
    top, gro = LOCAL_DATA / "tiny.top", LOCAL_DATA / "tiny.gro"
    system, state = sponge.load_gromacs(top, gro, nonbonded="NoCutoff")
    names = [t.name for t in system.terms]
    assert {"rb_torsion", "improper", "torsion", "bond", "angle"} <= set(names)
    assert system.term("improper").wrap   # GROMACS's stepped form is the periodic wrap
    omm = app.GromacsTopFile(str(top), periodicBoxVectors=app.GromacsGroFile(str(gro))
                             .getPeriodicBoxVectors()).createSystem(nonbondedMethod=app.NoCutoff)
    err, table = compare_with_openmm(omm, system, state, force_atol=1e-8)
    assert table["RBTorsionForce[4]"][0] != 0.0


def test_load_gromacs_improper_beyond_pi():
    """Move an atom so the improper's deviation passes pi: the wrap must match OpenMM."""
    top, gro = LOCAL_DATA / "tiny.top", LOCAL_DATA / "tiny.gro"
    system, state = sponge.load_gromacs(top, gro, nonbonded="NoCutoff")
    omm = app.GromacsTopFile(str(top), periodicBoxVectors=app.GromacsGroFile(str(gro))
                             .getPeriodicBoxVectors()).createSystem(nonbondedMethod=app.NoCutoff)
    state.positions[4] = state.positions[1] + (state.positions[1] - state.positions[4])
    compare_with_openmm(omm, system, state, force_atol=1e-8)


def test_load_pdb_small_protein(tmp_path):
    """Alanine dipeptide written as PDB, parameterised with amber14 by OpenMM."""
    prmtop = app.AmberPrmtopFile(str(LOCAL_DATA / "ala2_vacuum.parm7"))
    inpcrd = app.AmberInpcrdFile(str(LOCAL_DATA / "ala2_vacuum.rst7"))
    pdb_path = tmp_path / "ala2.pdb"
    with open(pdb_path, "w") as fh:
        app.PDBFile.writeFile(prmtop.topology, inpcrd.positions, fh)
    system, state = sponge.load_pdb(pdb_path, forcefield=("amber14-all.xml",),
                                    nonbonded="NoCutoff", constraints="HBonds")
    assert len(system.constraints) == 12     # every X-H bond
    pdb = app.PDBFile(str(pdb_path))
    omm = app.ForceField("amber14-all.xml").createSystem(
        pdb.topology, nonbondedMethod=app.NoCutoff, constraints=app.HBonds)
    compare_with_openmm(omm, system, state, force_atol=1e-8)
    assert system.topology.residue_names == ["ACE", "ALA", "NME"]
    assert np.allclose(state.positions, pdb.getPositions(asNumpy=True)._value)


@pytest.mark.parametrize(
    ("expr", "names", "factor", "wrap"),
    [
        ("k*(theta-theta0)^2", ["k", "theta0"], 1.0, False),
        ("k*min(dtheta, 2*pi-dtheta)^2; dtheta = abs(theta-theta0); pi = 3.141593;",
         ["k", "theta0"], 1.0, True),
        ("0.5*k*(thetap-theta0)^2; thetap = step(-(theta-theta0+pi))*2*pi+theta"
         "+step(theta-theta0-pi)*(-2*pi); pi = 3.14159265358979", ["theta0", "k"], 0.5, True),
        ("scale * kk * (theta - t0)^2", ["t0", "kk"], 3.0, False),
    ],
)
def test_harmonic_torsion_expressions(expr, names, factor, wrap):
    form = parse_harmonic_torsion(expr, names, {"scale": 3.0})
    assert form.factor == pytest.approx(factor) and form.wrap is wrap
    assert {form.k_name, form.theta0_name} == set(names)


@pytest.mark.parametrize("expr", ["k*cos(theta-theta0)", "k*(theta-theta0)^4",
                                  "k*(theta-theta0)^2 + foo", "k*(theta-theta0)^2; x = __import__"])
def test_unknown_expressions_raise(expr):
    with pytest.raises(UnsupportedExpressionError, match=r"energy|expression|name"):
        parse_harmonic_torsion(expr, ["k", "theta0"])


def test_load_pdb_tip5p_water_box_local_coordinate_sites():
    """OpenMM's TIP5P box: two LocalCoordinatesSite lone pairs per water, PME."""
    from .openmm_reference import openmm_path

    path = openmm_path("tip5p.pdb")
    system, state = sponge.load_pdb(path, forcefield=("tip5p.xml",), nonbonded="PME",
                                    cutoff=0.9, constraints=None)
    n_water = system.n_atoms // 5
    assert len(system.virtual_sites) == 2 * n_water
    pdb = app.PDBFile(path)
    omm = app.ForceField("tip5p.xml").createSystem(
        pdb.topology, nonbondedMethod=app.PME, nonbondedCutoff=0.9 * unit.nanometer)
    compare_with_openmm(omm, system, state, force_atol=1e-6)


def test_cm_remover_and_barostat_are_recorded_not_evaluated():
    mm = pytest.importorskip("openmm")
    s = mm.System()
    for _ in range(2):
        s.addParticle(12.0)
    s.setDefaultPeriodicBoxVectors(mm.Vec3(2, 0, 0), mm.Vec3(0, 2, 0), mm.Vec3(0, 0, 2))
    s.addForce(mm.CMMotionRemover(7))
    s.addForce(mm.MonteCarloBarostat(1.5, 310.0, 30))
    system, state = sponge.from_openmm(s, np.zeros((2, 3)))
    assert system.terms == [] and system.remove_cm_motion and system.cm_motion_interval == 7
    assert system.barostat == {"kind": "MonteCarloBarostat", "pressure": 1.5,
                               "temperature": 310.0, "frequency": 30}
    assert state.box is None   # no periodic force: OpenMM calls such a system non-periodic
    assert system.potential_energy(state) == 0.0


def test_periodic_bonded_forces_match_openmm():
    """Bonded forces with usesPeriodicBoundaryConditions: a molecule split across a
    triclinic box (atoms moved by lattice vectors) gives OpenMM's energies and forces."""
    mm = pytest.importorskip("openmm")
    prmtop = app.AmberPrmtopFile(str(LOCAL_DATA / "ala2_vacuum.parm7"))
    inpcrd = app.AmberInpcrdFile(str(LOCAL_DATA / "ala2_vacuum.rst7"))
    omm = prmtop.createSystem(nonbondedMethod=app.NoCutoff)
    for i in reversed(range(omm.getNumForces())):
        if type(omm.getForce(i)).__name__ in ("NonbondedForce", "CMMotionRemover"):
            omm.removeForce(i)
    rng = np.random.default_rng(3)
    rb = mm.RBTorsionForce()
    rb.addTorsion(4, 6, 8, 14, *rng.normal(size=6))
    omm.addForce(rb)
    imp = mm.CustomTorsionForce("k*(theta-theta0)^2")
    imp.addPerTorsionParameter("k")
    imp.addPerTorsionParameter("theta0")
    imp.addTorsion(6, 8, 14, 16, [30.0, 0.4])
    omm.addForce(imp)
    cmap = mm.CMAPTorsionForce()
    cmap.addMap(24, list(rng.normal(size=24 * 24)))
    cmap.addTorsion(0, 4, 6, 8, 14, 6, 8, 14, 16)
    omm.addForce(cmap)
    for f in omm.getForces():
        f.setUsesPeriodicBoundaryConditions(True)
    box = np.array([[2.5, 0.0, 0.0], [0.5, 2.4, 0.0], [-0.4, 0.6, 2.2]])
    omm.setDefaultPeriodicBoxVectors(*(mm.Vec3(*v) for v in box))
    pos = np.asarray(inpcrd.getPositions(asNumpy=True)._value)
    pos -= pos.mean(axis=0)
    shifts = rng.integers(-2, 3, size=(len(pos), 3))
    pos = pos + shifts @ box                     # every atom in some other image
    system, state = sponge.from_openmm(omm, pos)
    assert all(t.periodic for t in system.terms)
    assert np.allclose(state.box, box)
    err, table = compare_with_openmm(omm, system, state, force_atol=1e-8)
    assert all(abs(e) > 0 for e, _ in table.values())
    # without the flag the split molecule is nonsense: the check can fail
    system.term("bond").periodic = False
    assert system.term("bond").energy(state.positions) > 1e3 * table["HarmonicBondForce[0]"][0]


def test_second_harmonic_bond_force_is_urey_bradley():
    mm = pytest.importorskip("openmm")
    s = mm.System()
    for _ in range(3):
        s.addParticle(12.0)
    bonds, ub = mm.HarmonicBondForce(), mm.HarmonicBondForce()
    bonds.addBond(0, 1, 0.15, 1000.0)
    bonds.addBond(1, 2, 0.15, 1000.0)
    ub.addBond(0, 2, 0.25, 500.0)
    s.addForce(bonds)
    s.addForce(ub)
    pos = np.array([[0.0, 0.0, 0.0], [0.16, 0.0, 0.0], [0.2, 0.14, 0.0]])
    system, state = sponge.from_openmm(s, pos)
    terms = system.energy_terms(state)
    assert set(terms) == {"bond", "urey_bradley"}
    r13 = np.linalg.norm(pos[2] - pos[0])
    assert terms["urey_bradley"] == pytest.approx(0.5 * 500.0 * (r13 - 0.25) ** 2, rel=1e-12)
    compare_with_openmm(s, system, state, force_atol=1e-9)
