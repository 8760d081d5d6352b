"""Translate an OpenMM ``System`` into a sponge :class:`~sponge.System`.

OpenMM does the system preparation (file parsing, force-field assignment);
this module maps each OpenMM force onto a sponge term, through a registry
(a plain dict ``OpenMM class name -> translator``). A force with no
translator raises :class:`UnsupportedForceError` naming its class and index.

Term names (keys of ``System.energy_terms``): ``bond``, ``urey_bradley`` (a
second HarmonicBondForce, as ``CharmmPsfFile`` emits; ``charmm36.xml`` puts its
Urey-Bradley springs into the one bond force), ``angle``, ``torsion``,
``rb_torsion``, ``improper`` (harmonic CustomTorsionForce), ``cmap``, and the
nonbonded components (``lj``, ``coulomb``, ...). Bonded terms wrap their
difference vectors (minimum image) exactly when the OpenMM force says
``usesPeriodicBoundaryConditions()``; by default molecules must be whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sponge.forces.bonded import HarmonicAngleTerm, HarmonicBondTerm
from sponge.forces.cmap import CMAPTerm
from sponge.forces.expression import parse_harmonic_torsion
from sponge.forces.torsion import HarmonicImproperTerm, PeriodicTorsionTerm, RBTorsionTerm
from sponge.state import State
from sponge.system import Constraints, System
from sponge.topology import Topology
from sponge.virtual_sites import VirtualSites


class UnsupportedForceError(NotImplementedError):
    """An OpenMM force (or option) that sponge cannot translate."""


def _strip(quantity, unit_name: str = "nanometer") -> np.ndarray:
    """Value of an OpenMM Quantity in nm (or plain array), as float64."""
    try:
        from openmm import unit

        if unit.is_quantity(quantity):
            quantity = quantity.value_in_unit(getattr(unit, unit_name))
    except ImportError:  # pragma: no cover
        pass
    if hasattr(quantity, "__len__") and len(quantity) and hasattr(quantity[0], "x"):
        quantity = [[v.x, v.y, v.z] for v in quantity]
    return np.asarray(quantity, dtype=np.float64)


def _unique_name(system_terms: list, base: str, alternates: tuple[str, ...] = ()) -> str:
    used = {t.name for t in system_terms}
    for cand in (base, *alternates):
        if cand not in used:
            return cand
    k = 2
    while f"{base}_{k}" in used:
        k += 1
    return f"{base}_{k}"


def _periodic(terms: list, force) -> list:
    """OpenMM's ``usesPeriodicBoundaryConditions`` of a bonded force -> ``term.periodic``."""
    for t in terms:
        t.periodic = bool(force.usesPeriodicBoundaryConditions())
    return terms


def _harmonic_bond(force, index, ctx):
    n = force.getNumBonds()
    idx, k, r0 = np.zeros((n, 2), np.int64), np.zeros(n), np.zeros(n)
    for b in range(n):
        i, j, length, kk = force.getBondParameters(b)
        idx[b] = (i, j)
        r0[b] = _val(length)
        k[b] = _val(kk)
    name = _unique_name(ctx["terms"], "bond", ("urey_bradley",))
    return [HarmonicBondTerm(ctx["n"], idx, k, r0, name=name, dtype=ctx["dtype"])]


def _val(x) -> float:
    """Plain float of an OpenMM Quantity in its (MD unit system) unit."""
    return float(x.value_in_unit_system(_md_units())) if hasattr(x, "unit") else float(x)


def _md_units():
    from openmm import unit

    return unit.md_unit_system


def _harmonic_angle(force, index, ctx):
    n = force.getNumAngles()
    idx, k, t0 = np.zeros((n, 3), np.int64), np.zeros(n), np.zeros(n)
    for a in range(n):
        i, j, m, theta, kk = force.getAngleParameters(a)
        idx[a] = (i, j, m)
        t0[a] = _val(theta)
        k[a] = _val(kk)
    name = _unique_name(ctx["terms"], "angle")
    return [HarmonicAngleTerm(ctx["n"], idx, k, t0, name=name, dtype=ctx["dtype"])]


def _periodic_torsion(force, index, ctx):
    n = force.getNumTorsions()
    idx, per, k, ph = np.zeros((n, 4), np.int64), np.zeros(n), np.zeros(n), np.zeros(n)
    for t in range(n):
        a, b, c, d, periodicity, phase, kk = force.getTorsionParameters(t)
        idx[t] = (a, b, c, d)
        per[t], ph[t], k[t] = periodicity, _val(phase), _val(kk)
    name = _unique_name(ctx["terms"], "torsion")
    return [PeriodicTorsionTerm(ctx["n"], idx, per, k, ph, name=name, dtype=ctx["dtype"])]


def _rb_torsion(force, index, ctx):
    n = force.getNumTorsions()
    idx, c = np.zeros((n, 4), np.int64), np.zeros((n, 6))
    for t in range(n):
        p = force.getTorsionParameters(t)
        idx[t] = p[:4]
        c[t] = [_val(v) for v in p[4:10]]
    name = _unique_name(ctx["terms"], "rb_torsion")
    return [RBTorsionTerm(ctx["n"], idx, c, name=name, dtype=ctx["dtype"])]


def _custom_torsion(force, index, ctx):
    names = [force.getPerTorsionParameterName(i) for i in range(force.getNumPerTorsionParameters())]
    globals_ = {
        force.getGlobalParameterName(i): force.getGlobalParameterDefaultValue(i)
        for i in range(force.getNumGlobalParameters())
    }
    try:
        form = parse_harmonic_torsion(force.getEnergyFunction(), names, globals_)
    except ValueError as exc:
        raise UnsupportedForceError(f"OpenMM force {index} (CustomTorsionForce): {exc}") from None
    ik, it = names.index(form.k_name), names.index(form.theta0_name)
    n = force.getNumTorsions()
    idx, k, t0 = np.zeros((n, 4), np.int64), np.zeros(n), np.zeros(n)
    for t in range(n):
        a, b, c, d, params = force.getTorsionParameters(t)
        idx[t] = (a, b, c, d)
        k[t] = form.factor * params[ik]
        t0[t] = params[it]
    name = _unique_name(ctx["terms"], "improper")
    return [
        HarmonicImproperTerm(ctx["n"], idx, k, t0, wrap=form.wrap, name=name, dtype=ctx["dtype"])
    ]


def _cmap(force, index, ctx):
    maps = []
    for m in range(force.getNumMaps()):
        size, energy = force.getMapParameters(m)
        maps.append(np.asarray(_strip(energy, "kilojoule_per_mole")).reshape(size * size))
    n = force.getNumTorsions()
    idx, which = np.zeros((n, 8), np.int64), np.zeros(n, np.int64)
    for t in range(n):
        p = force.getTorsionParameters(t)
        which[t] = p[0]
        idx[t] = p[1:9]
    name = _unique_name(ctx["terms"], "cmap")
    return [CMAPTerm(ctx["n"], maps, which, idx, name=name, dtype=ctx["dtype"])]


def _nonbonded(force, index, ctx):
    try:
        from sponge.nonbonded import NonbondedTerm
    except ImportError:
        raise UnsupportedForceError(
            f"OpenMM force {index} (NonbondedForce): sponge.nonbonded is not available"
        ) from None
    return [NonbondedTerm.from_openmm(force, ctx["box"], dtype=ctx["dtype"])]


def _gb(force, index, ctx):
    try:
        from sponge.gb import GBTerm
    except ImportError:
        raise UnsupportedForceError(
            f"OpenMM force {index} ({type(force).__name__}): implicit solvent (sponge.gb) "
            "is not available yet"
        ) from None
    return [GBTerm.from_openmm(force, ctx["box"])]


def _cm_remover(force, index, ctx):
    ctx["system_kwargs"]["remove_cm_motion"] = True
    ctx["system_kwargs"]["cm_motion_interval"] = int(force.getFrequency())
    return []


def _barostat(force, index, ctx):
    """Barostats are not potentials: kept on ``system.barostat`` for the integrators."""
    from openmm import unit

    ctx["extras"]["barostat"] = {
        "kind": type(force).__name__,
        "pressure": float(force.getDefaultPressure().value_in_unit(unit.bar)),  # bar
        "temperature": float(force.getDefaultTemperature().value_in_unit(unit.kelvin)),  # K
        "frequency": int(force.getFrequency()),
    }
    return []


_BONDED = (
    "HarmonicBondForce",
    "HarmonicAngleForce",
    "PeriodicTorsionForce",
    "RBTorsionForce",
    "CustomTorsionForce",
    "CMAPTorsionForce",
)

TRANSLATORS: dict[str, Callable] = {
    "HarmonicBondForce": _harmonic_bond,
    "HarmonicAngleForce": _harmonic_angle,
    "PeriodicTorsionForce": _periodic_torsion,
    "RBTorsionForce": _rb_torsion,
    "CustomTorsionForce": _custom_torsion,
    "CMAPTorsionForce": _cmap,
    "NonbondedForce": _nonbonded,
    "GBSAOBCForce": _gb,
    "CustomGBForce": _gb,
    "CMMotionRemover": _cm_remover,
    "MonteCarloBarostat": _barostat,
}


def _virtual_sites(omm_system, n: int) -> VirtualSites:
    import openmm as mm

    vs = VirtualSites(n)
    for i in range(n):
        if not omm_system.isVirtualSite(i):
            continue
        site = omm_system.getVirtualSite(i)
        p = [site.getParticle(k) for k in range(site.getNumParticles())]
        if isinstance(site, mm.TwoParticleAverageSite):
            vs.add_two_particle_average(i, *p, site.getWeight(0), site.getWeight(1))
        elif isinstance(site, mm.ThreeParticleAverageSite):
            vs.add_three_particle_average(i, *p, *(site.getWeight(k) for k in range(3)))
        elif isinstance(site, mm.OutOfPlaneSite):
            vs.add_out_of_plane(
                i, *p, site.getWeight12(), site.getWeight13(), site.getWeightCross()
            )
        elif isinstance(site, mm.LocalCoordinatesSite):
            vs.add_local_coordinates(
                i,
                p,
                site.getOriginWeights(),
                site.getXWeights(),
                site.getYWeights(),
                _strip(site.getLocalPosition()),
            )
        else:
            kind = type(site).__name__
            if kind == "VirtualSite":  # SWIG gives the base class for e.g. SymmetrySite
                kind = "VirtualSite (a kind OpenMM's Python layer does not name, e.g. SymmetrySite)"
            raise UnsupportedForceError(
                f"particle {i} is a {kind} virtual site; sponge supports "
                "TwoParticleAverageSite, ThreeParticleAverageSite, OutOfPlaneSite and "
                "LocalCoordinatesSite"
            )
    return vs


def from_openmm(
    openmm_system: Any,
    positions: Any,
    box: Any = None,
    topology: Any = None,
    dtype: type = np.float64,
    skip_forces: tuple[str, ...] = (),
) -> tuple[System, State]:
    """Translate an ``openmm.System`` (and its positions) into ``(System, State)``.

    Args:
        openmm_system: the OpenMM System.
        positions: ``(n_atoms, 3)`` nm, a plain array or an OpenMM Quantity.
        box: ``(3, 3)`` periodic box vectors nm (array or Quantity); default:
            the system's default box when it is periodic, else None.
        topology: optional ``openmm.app.Topology`` for atom/residue names.
        dtype: float64 (default) or float32: the fast path of the bonded
            kernels and of the nonbonded direct-space pair kernel.
        skip_forces: OpenMM force class names to leave out (debugging and
            term-by-term tests only; the System is then incomplete).

    Returns:
        ``(system, state)``.

    Raises:
        UnsupportedForceError: naming any OpenMM force (class and index) or
            virtual-site kind that has no sponge equivalent.
    """
    n = openmm_system.getNumParticles()
    pos = _strip(positions)
    if pos.shape != (n, 3):
        raise ValueError(f"from_openmm: positions have shape {pos.shape}; system has {n} particles")
    if box is not None:
        box = _strip(box).reshape(3, 3)
    elif openmm_system.usesPeriodicBoundaryConditions():
        box = _strip(openmm_system.getDefaultPeriodicBoxVectors()).reshape(3, 3)
    ctx = {"n": n, "box": box, "dtype": dtype, "terms": [], "system_kwargs": {}, "extras": {}}
    for index, force in enumerate(openmm_system.getForces()):
        cls = type(force).__name__
        if cls in skip_forces:
            continue
        translate = TRANSLATORS.get(cls)
        if translate is None:
            raise UnsupportedForceError(
                f"cannot translate OpenMM force {index} ({cls}): no sponge term implements it; "
                f"supported: {sorted(TRANSLATORS)}"
            )
        new_terms = translate(force, index, ctx)
        if cls in _BONDED:
            _periodic(new_terms, force)
        ctx["terms"].extend(new_terms)
    masses = np.array([_val(openmm_system.getParticleMass(i)) for i in range(n)])
    charges = np.zeros(n)
    for force in openmm_system.getForces():
        if type(force).__name__ == "NonbondedForce":
            charges = np.array([_val(force.getParticleParameters(i)[0]) for i in range(n)])
    nc = openmm_system.getNumConstraints()
    cidx, cdist = np.zeros((nc, 2), np.int64), np.zeros(nc)
    for c in range(nc):
        i, j, d = openmm_system.getConstraintParameters(c)
        cidx[c] = (i, j)
        cdist[c] = _val(d)
    system = System(
        masses=masses,
        charges=charges,
        terms=ctx["terms"],
        box=box,
        constraints=Constraints(cidx, cdist),
        virtual_sites=_virtual_sites(openmm_system, n),
        topology=Topology.from_openmm(topology) if topology is not None else None,
        **ctx["system_kwargs"],
    )
    system.barostat = ctx["extras"].get("barostat")
    state = State(positions=pos, box=box)
    system.virtual_sites.compute_positions(state.positions)
    return system, state
