"""SPONGE native input (ala2_sits_tip3p, Xponge's text files) loads and gives the right energies.

Two independent checks:

1. the same system built another way: an OpenMM ``ForceField`` (amber19 =
   ff19SB + TIP3P, which is what Xponge wrote) parameterises a topology made
   from the native atom/residue names, and OpenMM evaluates it; every sponge
   term of the native load must match (tolerances set by the 6-7 digits the
   native files keep: bond 1e-5, torsion 1e-4 (phases written as 3.141593),
   CMAP 1e-9, nonbonded 1e-6 relative);
2. a plain-numpy evaluation of the bonded terms straight from the files, in
   the native units (Angstrom, kcal/mol).
"""

from __future__ import annotations

import numpy as np
import pytest

import sponge
from sponge.io.native import read_native

from .openmm_reference import DATA

app = pytest.importorskip("openmm.app")
mm = pytest.importorskip("openmm")
unit = pytest.importorskip("openmm.unit")

FOLDER = DATA / "ala2_sits_tip3p"
pytestmark = pytest.mark.skipif(not FOLDER.exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def native():
    system, state = sponge.load_sponge(FOLDER, nonbonded="PME", cutoff=0.8)
    return system, state


def test_loads(native):
    system, state = native
    assert system.n_atoms == 1840 and state.positions.shape == (1840, 3)
    assert np.allclose(np.diag(state.box), [2.93803158, 3.43396416, 2.85])
    assert [t.name for t in system.terms] == ["bond", "angle", "torsion", "cmap", "nonbonded"]
    topo = system.topology
    assert topo.residue_names[:3] == ["ACE", "ALA", "NME"] and topo.n_residues == 609
    assert topo.atom_names[4] == "C" and topo.elements[1] == "C"
    assert abs(system.charges.sum()) < 1e-4     # neutral after the 18.2223 scaling
    # same folder given as a prefix
    s2, _ = sponge.load_sponge(FOLDER / "ALA", nonbonded="NoCutoff")
    assert s2.n_atoms == 1840 and s2.box is None


def _amber19_reference(data, box):
    names = data["names"]
    top = app.Topology()
    chain = top.addChain()
    elements = {"H": app.element.hydrogen, "C": app.element.carbon,
                "N": app.element.nitrogen, "O": app.element.oxygen}
    k = 0
    for rn, size in zip(names["resname"], names["residue_sizes"], strict=True):
        res = top.addResidue("HOH" if rn == "WAT" else rn, chain)
        for _ in range(size):
            an = names["atom_name"][k]
            top.addAtom(an, elements[an[0]], res)
            k += 1
    atoms = list(top.atoms())
    for i, j in data["bond"][0]:   # chemical bonds (not the water H-H spring)
        if atoms[i].element is app.element.hydrogen and atoms[j].element is app.element.hydrogen:
            continue
        top.addBond(atoms[i], atoms[j])
    top.setPeriodicBoxVectors(box)
    ff = app.ForceField("amber19-all.xml", "amber19/tip3p.xml")
    omm = ff.createSystem(top, nonbondedMethod=app.PME, nonbondedCutoff=0.8 * unit.nanometer,
                          constraints=None, rigidWater=False)
    for f in omm.getForces():   # SPONGE keeps water rigid: no H-O-H angle term in its files
        if isinstance(f, mm.HarmonicAngleForce):
            for a in range(f.getNumAngles()):
                p = f.getAngleParameters(a)
                if atoms[p[1]].residue.name == "HOH":
                    f.setAngleParameters(a, *p[:4], 0.0)
    return omm


def test_equals_amber19_built_by_openmm(native):
    system, state = native
    omm = _amber19_reference(system.native, state.box)
    for i, f in enumerate(omm.getForces()):
        f.setForceGroup(i)
    ctx = mm.Context(omm, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName("Reference"))
    ctx.setPeriodicBoxVectors(*state.box)
    ctx.setPositions(state.positions)
    ref = {type(f).__name__: ctx.getState(getEnergy=True, groups={i}).getPotentialEnergy()._value
           for i, f in enumerate(omm.getForces())}
    # forces term by term; the torsion tolerance covers the three Amber impropers whose
    # atom order differs between tleap/Xponge (native) and OpenMM's XML (same energy
    # to 4e-4 kJ/mol at this near-planar geometry, forces within 1.6 kJ/mol/nm)
    tol = {"HarmonicBondForce": ("bond", 0.2), "HarmonicAngleForce": ("angle", 0.02),
           "PeriodicTorsionForce": ("torsion", 2.0), "CMAPTorsionForce": ("cmap", 1e-9),
           "NonbondedForce": ("nonbonded", 1e-3)}
    ours_f = system.term_forces(state)
    for i, f in enumerate(omm.getForces()):
        if type(f).__name__ not in tol:   # CMMotionRemover
            continue
        name, atol = tol[type(f).__name__]
        g = ctx.getState(getForces=True, groups={i}).getForces(asNumpy=True)._value
        err = np.abs(ours_f[name] - g).max()
        assert err < atol, (name, err)
    ours = {t.name: sum(t.energy_components(state.positions, state.box).values())
            for t in system.terms}
    assert ours["bond"] == pytest.approx(ref["HarmonicBondForce"], rel=1e-5)
    assert ours["angle"] == pytest.approx(ref["HarmonicAngleForce"], rel=1e-5)
    assert ours["torsion"] == pytest.approx(ref["PeriodicTorsionForce"], rel=1e-4)
    assert ours["cmap"] == pytest.approx(ref["CMAPTorsionForce"], rel=1e-9)
    assert ours["nonbonded"] == pytest.approx(ref["NonbondedForce"], rel=1e-6)


def _dihedral(p0, p1, p2, p3):
    b0, b1, b2 = p0 - p1, p2 - p1, p2 - p3
    n0, n1 = np.cross(b0, b1), np.cross(b1, b2)
    y = np.linalg.norm(b1, axis=-1) * np.einsum("ij,ij->i", b0, n1)
    return np.arctan2(y, np.einsum("ij,ij->i", n0, n1))


def test_bonded_terms_by_plain_numpy(native):
    """Bond, angle and dihedral energies straight from the files (A, kcal/mol)."""
    system, state = native
    d = read_native(FOLDER)
    x = d["coordinate"]
    (bi, bv) = d["bond"]
    r = np.linalg.norm(x[bi[:, 0]] - x[bi[:, 1]], axis=1)
    e_bond = np.sum(bv[:, 0] * (r - bv[:, 1]) ** 2)
    (ai, av) = d["angle"]
    u, v = x[ai[:, 0]] - x[ai[:, 1]], x[ai[:, 2]] - x[ai[:, 1]]
    cos = np.einsum("ij,ij->i", u, v) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
    e_angle = np.sum(av[:, 0] * (np.arccos(cos) - av[:, 1]) ** 2)
    (di, dv) = d["dihedral"]
    phi = _dihedral(*(x[di[:, k]] for k in range(4)))
    e_dih = np.sum(dv[:, 1] * (1 + np.cos(dv[:, 0] * phi - dv[:, 2])))
    pos = state.positions
    assert system.term("bond").energy(pos, state.box) / 4.184 == pytest.approx(e_bond, rel=1e-10)
    assert system.term("angle").energy(pos, state.box) / 4.184 == pytest.approx(e_angle, rel=1e-10)
    assert system.term("torsion").energy(pos, state.box) / 4.184 == pytest.approx(e_dih, rel=1e-10)


def test_native_sits_selection_files_are_ignored_not_fatal(native):
    system, _ = native
    assert system.native["prefix"] == "ALA"


def test_bonded_terms_are_periodic_like_sponge(native):
    """SPONGE wraps bonded vectors: shifting one atom by a box vector changes nothing."""
    system, state = native
    assert all(t.periodic for t in system.terms if t.name != "nonbonded")
    pos = state.positions.copy()
    pos[5] += state.box[1]
    for name in ("bond", "angle", "torsion", "cmap"):
        t = system.term(name)
        assert t.energy(pos, state.box) == pytest.approx(t.energy(state.positions, state.box),
                                                         rel=1e-12)
