"""Shared helpers: evaluate an OpenMM System force group by force group (Reference, double)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LOCAL_DATA = Path(__file__).resolve().parents[1] / "data" / "sponge"

# OpenMM force class -> the sponge energy keys its term reports
KEYS = {
    "HarmonicBondForce": ("bond", "urey_bradley"),
    "HarmonicAngleForce": ("angle",),
    "PeriodicTorsionForce": ("torsion",),
    "RBTorsionForce": ("rb_torsion",),
    "CustomTorsionForce": ("improper",),
    "CMAPTorsionForce": ("cmap",),
    "NonbondedForce": ("lj", "coulomb", "coulomb_recip", "lj_dispersion"),
}


def openmm_path(name: str) -> str:
    import openmm.app

    return str(Path(openmm.app.__file__).parent / "data" / name)


def openmm_groups(omm_system, positions, box=None, skip=()):
    """Per-force energies (kJ/mol) and forces, and the total forces, on the Reference platform.

    Returns:
        (energies, forces, total_forces): energies[i] and forces[i] of force i
        (nm, kJ/mol/nm), total_forces (n, 3).
    """
    import copy

    import openmm as mm

    s = copy.deepcopy(omm_system)
    for i, f in enumerate(s.getForces()):
        f.setForceGroup(i)
    n_forces = s.getNumForces()
    for i in reversed(range(n_forces)):   # skipped forces cost nothing
        if type(s.getForce(i)).__name__ in skip:
            s.removeForce(i)
    ctx = mm.Context(s, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName("Reference"))
    if box is not None:
        ctx.setPeriodicBoxVectors(*[mm.Vec3(*v) for v in np.asarray(box)])
    ctx.setPositions(positions)
    ctx.computeVirtualSites()
    energies, forces = [], []
    kept = {f.getForceGroup() for f in s.getForces()}
    for i in range(n_forces):
        if i not in kept:
            energies.append(None)
            forces.append(None)
            continue
        st = ctx.getState(getEnergy=True, getForces=True, groups={i})
        energies.append(st.getPotentialEnergy()._value)
        forces.append(_distribute(s, np.array(st.getForces(asNumpy=True)._value)))
    total = ctx.getState(getForces=True, getEnergy=True)
    return energies, forces, _distribute(s, np.array(total.getForces(asNumpy=True)._value)), \
        total.getPotentialEnergy()._value


def _distribute(omm_system, forces):
    """OpenMM's State already holds the virtual-site forces spread onto the
    parents, but keeps the site's own row too; sponge zeroes that row."""
    for i in range(omm_system.getNumParticles()):
        if omm_system.isVirtualSite(i):
            forces[i] = 0.0
    return forces


def compare_with_openmm(omm_system, system, state, rtol=1e-6, force_atol=1e-6, skip=()):
    """Assert sponge's energy per term equals OpenMM's per force group; total forces agree.

    sponge's terms come in the order of the OpenMM forces (CMMotionRemover and
    the ``skip`` classes make none). Returns (max-abs total force error in
    kJ/mol/nm, {force: (openmm, sponge)}).
    """
    energies, group_forces, _, total_energy = openmm_groups(
        omm_system, state.positions, state.box, skip=skip
    )
    terms = iter(system.terms)
    pos, box = system._prepare(state)
    table = {}
    expected_forces = np.zeros((system.n_atoms, 3))
    for i, f in enumerate(omm_system.getForces()):
        cls = type(f).__name__
        if cls in ("CMMotionRemover", "MonteCarloBarostat") or cls in skip:
            continue
        expected_forces += group_forces[i]
        term = next(terms)
        comps = term.energy_components(pos, box)
        for key in comps:
            assert any(key == k or key.startswith(k + "_") for k in KEYS[cls]), \
                f"{term.name} reports {set(comps)} for {cls}"
        ours = sum(comps.values())
        table[f"{cls}[{i}]"] = (energies[i], ours)
        assert np.isclose(ours, energies[i], rtol=rtol, atol=1e-8), (
            f"force {i} {cls} (sponge term {term.name}): OpenMM {energies[i]!r}, sponge {ours!r}")
    assert next(terms, None) is None, "sponge has more terms than OpenMM forces"
    if not skip:
        by_key = system.energy_terms(state)
        assert np.isclose(sum(by_key.values()), total_energy, rtol=rtol)
        assert np.isclose(system.potential_energy(state), total_energy, rtol=rtol)
    forces = system.forces(state)
    err = float(np.abs(forces - expected_forces).max())
    assert err < force_atol, f"max-abs force error {err} kJ/mol/nm"
    return err, table
