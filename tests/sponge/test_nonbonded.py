"""NonbondedTerm against OpenMM's Reference platform (double precision).

Systems are built with OpenMM (amber14-all + amber14/tip3p): alanine dipeptide
from ``shared/data/ala2`` solvated with Modeller.addSolvent in a cubic and in a
dodecahedral (triclinic) box. Only the NonbondedForce is taken. Each energy
component is compared separately: LJ against OpenMM with all charges zeroed,
Coulomb direct space against OpenMM with all epsilons zeroed (force group 0),
the reciprocal part against the reciprocal-space force group, and the
dispersion correction against OpenMM with and without it.

Measured (this machine, relaxed systems, max |F| ~2e3 kJ/mol/nm): direct-space
energies agree to <1e-13 relative in every method; the reciprocal group to
<1e-14 (cube) and 1e-12 (dodecahedron) relative, because the algorithm (order-5
B-splines, OpenMM's alpha, grid and moduli) is the same; max-abs force error
5e-12 kJ/mol/nm (NoCutoff, reaction field), 3e-9 (Ewald/PME: tabulated erfc) and
9e-8 (triclinic PME). The tests assert 1e-9 relative and 1e-6 kJ/mol/nm.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

openmm = pytest.importorskip("openmm")
app = pytest.importorskip("openmm.app")
unit = pytest.importorskip("openmm.unit")

from sponge.nonbonded import NonbondedTerm  # noqa: E402
from sponge.nonbonded.parameters import ewald_kmax  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ALA2 = DATA / "ala2" / "alanine_dipeptide_gb1" / "system"
KJ = unit.kilojoule_per_mole
NM = unit.nanometer

# tolerances: relative energy for direct space, absolute force (kJ/mol/nm)
E_REL = 1e-9
F_ABS = 1e-6


def _solvated(shape: str, padding: float):
    if not ALA2.with_suffix(".parm7").exists():
        pytest.skip("shared/data/ala2 not present")
    prm = app.AmberPrmtopFile(str(ALA2.with_suffix(".parm7")))
    crd = app.AmberInpcrdFile(str(ALA2.with_suffix(".rst7")))
    ff = app.ForceField("amber14-all.xml", "amber14/tip3p.xml")
    m = app.Modeller(prm.topology, crd.positions)
    m.addSolvent(ff, padding=padding * NM, boxShape=shape)
    # relax the overlaps addSolvent leaves at the box faces (OpenMM CPU, a few steps)
    system = ff.createSystem(m.topology, nonbondedMethod=app.PME, nonbondedCutoff=0.9 * NM)
    ctx = openmm.Context(
        system,
        openmm.VerletIntegrator(0.001),
        openmm.Platform.getPlatformByName("CPU"),
        {"CpuThreads": "1"},  # deterministic
    )
    ctx.setPositions(m.positions)
    openmm.LocalEnergyMinimizer.minimize(ctx, 10.0, 50)
    m.positions = ctx.getState(getPositions=True).getPositions()
    del ctx
    box = np.array(m.topology.getPeriodicBoxVectors().value_in_unit(NM))
    return ff, m, box


@pytest.fixture(scope="module")
def cube():
    return _solvated("cube", 0.9)


@pytest.fixture(scope="module")
def dodecahedron():
    return _solvated("dodecahedron", 1.3)


def nonbonded_force(ff, modeller, method, cutoff=0.9, **kw):
    system = ff.createSystem(
        modeller.topology,
        nonbondedMethod=method,
        nonbondedCutoff=cutoff * NM,
        constraints=None,
        rigidWater=False,
        **kw,
    )
    force = [f for f in system.getForces() if isinstance(f, openmm.NonbondedForce)][0]
    pos = np.array(modeller.positions.value_in_unit(NM))
    # a copy owned by Python: the System (owner of the original) is freed on return
    return copy.deepcopy(force), pos


def openmm_eval(force, pos, box):
    """Energies of groups (direct=0, recip=1) and total forces on the Reference platform."""
    system = openmm.System()
    for _ in range(force.getNumParticles()):
        system.addParticle(1.0)
    if box is not None:
        system.setDefaultPeriodicBoxVectors(*[openmm.Vec3(*v) for v in box])
    f = copy.deepcopy(force)
    f.setForceGroup(0)
    f.setReciprocalSpaceForceGroup(1)
    system.addForce(f)
    ctx = openmm.Context(
        system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference")
    )
    ctx.setPositions(pos)
    out = {}
    for name, groups in (("direct", {0}), ("recip", {1}), ("total", {0, 1})):
        st = ctx.getState(getEnergy=True, getForces=True, groups=groups)
        out[name] = st.getPotentialEnergy().value_in_unit(KJ)
        out[name + "_forces"] = st.getForces(asNumpy=True).value_in_unit(KJ / NM)
    if f.getNonbondedMethod() == f.PME:
        out["pme"] = f.getPMEParametersInContext(ctx)
    del ctx
    return out


def zeroed(force, charges=False, lj=False, dispersion=None):
    f = copy.deepcopy(force)
    for i in range(f.getNumParticles()):
        q, s, e = f.getParticleParameters(i)
        f.setParticleParameters(i, 0.0 if charges else q, s, 0.0 if lj else e)
    for k in range(f.getNumExceptions()):
        i, j, qq, s, e = f.getExceptionParameters(k)
        f.setExceptionParameters(k, i, j, 0.0 if charges else qq, s, 0.0 if lj else e)
    if dispersion is not None:
        f.setUseDispersionCorrection(dispersion)
    return f


def check_components(force, pos, box):
    """Compare every component and the total forces; return the max-abs force error."""
    term = NonbondedTerm.from_openmm(force, box)
    b = box if force.usesPeriodicBoundaryConditions() else None
    comps = term.energy_components(pos, b)
    energy, forces = term.energy_forces(pos, b)
    assert energy == pytest.approx(sum(comps.values()), rel=1e-12)

    ref_lj = openmm_eval(zeroed(force, charges=True, dispersion=False), pos, b)
    assert comps["lj"] == pytest.approx(ref_lj["direct"], rel=E_REL)

    ref_c = openmm_eval(zeroed(force, lj=True, dispersion=False), pos, b)
    self_e = term.self_energy(b) if b is not None else 0.0
    assert comps["coulomb"] - self_e == pytest.approx(ref_c["direct"], rel=E_REL)
    if "coulomb_recip" in comps:
        # OpenMM's reciprocal group holds the self and neutralising terms too
        assert comps["coulomb_recip"] + self_e == pytest.approx(ref_c["recip"], rel=1e-9)
    else:
        assert ref_c["recip"] == 0.0

    ref = openmm_eval(force, pos, b)
    if force.getUseDispersionCorrection() and force.usesPeriodicBoundaryConditions():
        ref_nodisp = openmm_eval(zeroed(force, dispersion=False), pos, b)
        assert comps["lj_dispersion"] == pytest.approx(ref["total"] - ref_nodisp["total"], rel=1e-8)
    else:
        assert "lj_dispersion" not in comps
    assert energy == pytest.approx(ref["total"], rel=E_REL)
    err = np.abs(forces - ref["total_forces"]).max()
    scale = np.abs(ref["total_forces"]).max()
    assert err < F_ABS * max(1.0, scale / 1e3), (err, scale)
    if "pme" in ref:
        alpha, nx, ny, nz = ref["pme"]
        assert term.alpha == pytest.approx(alpha, rel=1e-14)
        assert term.pme_grid == (nx, ny, nz)
    return err


METHODS = ["NoCutoff", "CutoffNonPeriodic", "CutoffPeriodic", "Ewald", "PME"]


@pytest.mark.parametrize("method", METHODS)
def test_methods_match_openmm(cube, method):
    ff, m, box = cube
    force, pos = nonbonded_force(ff, m, getattr(app, method))
    check_components(force, pos, box)


@pytest.mark.parametrize("method", ["CutoffPeriodic", "PME"])
def test_triclinic_box_matches_openmm(dodecahedron, method):
    ff, m, box = dodecahedron
    assert box[2, 0] != 0 and box[2, 1] != 0  # c is tilted
    force, pos = nonbonded_force(ff, m, getattr(app, method))
    check_components(force, pos, box)


@pytest.mark.parametrize("method", ["CutoffPeriodic", "PME", "CutoffNonPeriodic"])
def test_switching_and_dispersion_match_openmm(cube, method):
    ff, m, box = cube
    force, pos = nonbonded_force(ff, m, getattr(app, method), switchDistance=0.75 * NM)
    assert force.getUseSwitchingFunction()
    check_components(force, pos, box)


def test_pme_options_match_openmm(cube):
    """Tighter tolerance, explicit PME parameters, reaction-field dielectric, periodic exceptions."""
    ff, m, box = cube
    force, pos = nonbonded_force(ff, m, app.PME, ewaldErrorTolerance=1e-5)
    check_components(force, pos, box)
    force.setPMEParameters(3.1, 20, 21, 22)
    force.setExceptionsUsePeriodicBoundaryConditions(True)
    term = NonbondedTerm.from_openmm(force, box)
    assert term.pme_grid == (20, 21, 22) and term.alpha == 3.1
    check_components(force, pos, box)
    rf, _ = nonbonded_force(ff, m, app.CutoffPeriodic)
    rf.setReactionFieldDielectric(20.0)
    check_components(rf, pos, box)


def test_ewald_and_pme_meet_the_error_tolerance(cube):
    """OpenMM's alpha/kmax/grid formulas: force error vs a converged sum below ``tol``.

    ``ewaldErrorTolerance`` is a relative force error (OpenMM docs). The
    reference is PME with the same alpha on a 64^3 grid (converged to ~1e-8).
    """
    ff, m, box = cube
    tol = 5e-4
    force, pos = nonbonded_force(ff, m, app.Ewald, ewaldErrorTolerance=tol)
    kmax = ewald_kmax(box, np.sqrt(-np.log(2 * tol)) / 0.9, tol)
    assert all(k % 2 == 1 for k in kmax)
    _, f_ewald = NonbondedTerm.from_openmm(force, box).energy_forces(pos, box)
    force.setNonbondedMethod(force.PME)
    _, f_pme = NonbondedTerm.from_openmm(force, box).energy_forces(pos, box)
    force.setPMEParameters(np.sqrt(-np.log(2 * tol)) / 0.9, 64, 64, 64)
    _, f_ref = NonbondedTerm.from_openmm(force, box).energy_forces(pos, box)
    rms = np.sqrt(np.mean(f_ref**2))
    for f in (f_ewald, f_pme):
        assert np.sqrt(np.mean((f - f_ref) ** 2)) < tol * rms


def _check_fd(energy, forces, pos, n_atoms=6, h=1e-5, seed=1, cutoff=None, box=None):
    """Central differences on ``n_atoms`` random atoms.

    The reaction-field force does not vanish at the cutoff (only the energy
    does; with eps_rf = 78.3 it jumps by about 1% of q1 q2 / rc^2, as in
    OpenMM), so an atom with a partner within ``h`` of the cutoff gets a
    central difference halfway between the two one-sided forces. Such atoms
    (any partner within 1e-3 nm of ``cutoff``) are passed over.
    """
    rng = np.random.default_rng(seed)
    done = 0
    for a in rng.permutation(len(pos)):
        if done == n_atoms:
            break
        if cutoff is not None:
            dr = pos - pos[a]
            if box is not None:
                dr -= np.round(dr @ np.linalg.inv(box)) @ box
            r = np.linalg.norm(dr, axis=1)
            if np.any(np.abs(r - cutoff) < 1e-3):
                continue
        done += 1
        for d in range(3):
            xp = pos.copy()
            xm = pos.copy()
            xp[a, d] += h
            xm[a, d] -= h
            fd = -(energy(xp) - energy(xm)) / (2 * h)
            assert fd == pytest.approx(forces[a, d], abs=2e-3 * max(1.0, abs(fd) / 100))
    assert done == n_atoms


@pytest.mark.parametrize("method", ["NoCutoff", "CutoffNonPeriodic", "CutoffPeriodic"])
def test_forces_equal_finite_differences(cube, method):
    """RF energy vanishes at the cutoff, LJ is switched: FD of the whole term."""
    ff, m, box = cube
    force, pos = nonbonded_force(ff, m, getattr(app, method), switchDistance=0.7 * NM)
    b = box if force.usesPeriodicBoundaryConditions() else None
    term = NonbondedTerm.from_openmm(force, box)
    _, forces = term.energy_forces(pos, b)
    rc = None if method == "NoCutoff" else 0.9
    _check_fd(lambda x: term.energy(x, b), forces, pos, cutoff=rc, box=b)


@pytest.mark.parametrize("method", ["PME", "Ewald"])
def test_reciprocal_forces_equal_finite_differences(cube, method):
    """The reciprocal sums are smooth: FD of the reciprocal energy alone."""
    ff, m, box = cube
    force, pos = nonbonded_force(ff, m, getattr(app, method))
    term = NonbondedTerm.from_openmm(force, box)
    term.energy(pos, box)
    recip = term._recip
    _, forces = recip.energy_forces(pos, box)
    _check_fd(lambda x: recip.energy_forces(x, box)[0], forces, pos)


def test_float32_path_close_to_float64(cube):
    ff, m, box = cube
    force, pos = nonbonded_force(ff, m, app.PME)
    t64 = NonbondedTerm.from_openmm(force, box)
    e64, f64 = t64.energy_forces(pos, box)
    e32, f32 = NonbondedTerm.from_openmm(force, box, dtype=np.float32).energy_forces(pos, box)
    scale = sum(abs(v) for v in t64.energy_components(pos, box).values())
    assert abs(e32 - e64) < 1e-5 * scale
    # float32 pair forces: ~1e-4 of the largest force (single pair terms reach ~1e4 kJ/mol/nm)
    assert np.abs(f32 - f64).max() < 5e-4 * np.abs(f64).max()


def test_plain_constructor_two_ions_no_cutoff():
    """Analytic check: two LJ particles with opposite charges."""
    k = 138.935457764
    term = NonbondedTerm([1.0, -1.0], [0.3, 0.5], [0.4, 0.9])
    r = 0.55
    e, f = term.energy_forces(np.array([[0.0, 0, 0], [r, 0, 0]]))
    s, eps = 0.4, np.sqrt(0.36)
    lj = 4 * eps * ((s / r) ** 12 - (s / r) ** 6)
    assert e == pytest.approx(lj - k / r, rel=1e-8)
    dlj = 4 * eps * (-12 * s**12 / r**13 + 6 * s**6 / r**7)
    assert f[1, 0] == pytest.approx(-(dlj + k / r**2), rel=1e-8)
    assert f[0, 0] == pytest.approx(-f[1, 0])


def test_unsupported_features_name_themselves(cube):
    ff, m, box = cube
    force, _ = nonbonded_force(ff, m, app.PME)
    lj = copy.deepcopy(force)
    lj.setNonbondedMethod(lj.LJPME)
    with pytest.raises(ValueError, match="LJPME"):
        NonbondedTerm.from_openmm(lj, box)
    off = copy.deepcopy(force)
    off.addGlobalParameter("lam", 1.0)
    off.addParticleParameterOffset("lam", 0, 0.1, 0.0, 0.0)
    with pytest.raises(ValueError, match="offsets"):
        NonbondedTerm.from_openmm(off, box)
    with pytest.raises(ValueError, match="atom 1: sigma"):
        NonbondedTerm([0.0, 0.0], [0.3, -0.1], [0.1, 0.1])
    with pytest.raises(ValueError, match="exception 0"):
        NonbondedTerm([0.0, 0.0], [0.3, 0.1], [0.1, 0.1], [[0, 5]], [0.0], [0.1], [0.0])
    with pytest.raises(ValueError, match="method"):
        NonbondedTerm([0.0], [0.3], [0.1], method="LJPME")
    term = NonbondedTerm.from_openmm(force, box)
    with pytest.raises(ValueError, match="twice the cutoff"):
        term.energy(np.zeros((force.getNumParticles(), 3)), box * 0.4)


def test_thread_count_change_keeps_results(cube):
    numba = pytest.importorskip("numba")
    ff, m, box = cube
    force, pos = nonbonded_force(ff, m, app.PME)
    term = NonbondedTerm.from_openmm(force, box)
    e0, f0 = term.energy_forces(pos, box)
    n0 = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        e1, f1 = term.energy_forces(pos, box)
    finally:
        numba.set_num_threads(n0)
    e2, f2 = term.energy_forces(pos, box)
    assert e1 == pytest.approx(e0, rel=1e-12) and e2 == pytest.approx(e0, rel=1e-12)
    np.testing.assert_allclose(f1, f0, atol=1e-9)
    np.testing.assert_allclose(f2, f0, atol=1e-9)


def test_verlet_list_reuse_matches_fresh_evaluation(cube):
    """Along a random walk the kept / rebuilt list gives the energy of a fresh term."""
    ff, m, box = cube
    force, pos = nonbonded_force(ff, m, app.CutoffPeriodic)
    term = NonbondedTerm.from_openmm(force, box, skin=0.1)
    rng = np.random.default_rng(7)
    x = pos.copy()
    for _ in range(8):
        x = x + rng.normal(scale=0.012, size=x.shape)
        e, f = term.energy_forces(x, box)
        e_new, f_new = NonbondedTerm.from_openmm(force, box).energy_forces(x, box)
        assert e == pytest.approx(e_new, rel=1e-12)
        np.testing.assert_allclose(f, f_new, atol=1e-8)
    assert 1 < term.neighbor_list.n_builds < 8


def test_net_charge_and_unwrapped_molecules(dodecahedron):
    """Non-neutral PME (neutralising background) vs OpenMM; whole molecules moved by
    lattice vectors (positions far outside the box) leave energy and forces unchanged."""
    ff, m, box = dodecahedron
    force, pos = nonbonded_force(ff, m, app.PME)
    q, s, e = force.getParticleParameters(0)
    force.setParticleParameters(0, q + 0.5 * unit.elementary_charge, s, e)
    check_components(force, pos, box)
    term = NonbondedTerm.from_openmm(force, box)
    e0, f0 = term.energy_forces(pos, box)
    rng = np.random.default_rng(11)
    moved = pos.copy()
    # whole molecules only: exceptions use no periodic images (OpenMM's default)
    peptide = [a.index for r in m.topology.residues() if r.name != "HOH" for a in r.atoms()]
    molecules = [peptide] + [
        [a.index for a in r.atoms()] for r in m.topology.residues() if r.name == "HOH"
    ]
    for idx in molecules:
        moved[idx] += rng.integers(-3, 4, size=3) @ box
    e1, f1 = NonbondedTerm.from_openmm(force, box).energy_forces(moved, box)
    assert e1 == pytest.approx(e0, rel=1e-10)
    np.testing.assert_allclose(f1, f0, atol=1e-6)
