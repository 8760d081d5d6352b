"""Neural potentials: forces vs finite differences, invariances, force-matching
gradients, training, datasets, and ML/MM against OpenMM."""

from pathlib import Path

import numpy as np
import pytest

import core_autodiff as ad
from sponge.ml import (
    BehlerParrinello,
    Dataset,
    NeuralPotential,
    SchNet,
    SymmetryFunctions,
    TrainConfig,
    build_graph,
    errors,
    mlmm_openmm_system,
    train,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "sponge"
rng = np.random.default_rng(5)


def small_models():
    return [
        SchNet(3, n_features=12, n_interactions=2, n_rbf=10, cutoff=0.45, seed=1),
        BehlerParrinello(3, hidden=(12,), seed=2, descriptor=SymmetryFunctions(
            3, radial_cutoff=0.45, angular_cutoff=0.35, radial_shells=np.linspace(0.1, 0.4, 5))),
    ]


def water_box(n_side=3, spacing=0.31):
    """Rigid-ish water molecules on a jittered grid in a cubic box (nm)."""
    o = np.array([[i, j, k] for i in range(n_side) for j in range(n_side)
                  for k in range(n_side)], float) * spacing + 0.1
    o += rng.normal(0, 0.01, o.shape)
    h1 = o + [0.0957, 0, 0]
    h2 = o + [-0.024, 0.0927, 0]
    pos = np.stack([o, h1, h2], 1).reshape(-1, 3)
    species = np.tile([0, 1, 1], len(o))
    box = np.eye(3) * n_side * spacing
    return species, pos, box


def fd_forces(pot, pos, box, atoms, h=1e-6):
    out = np.zeros((len(atoms), 3))
    for a_i, a in enumerate(atoms):
        for k in range(3):
            p = pos.copy()
            p[a, k] += h
            ep = pot.energy(p, box)
            p[a, k] -= 2 * h
            em = pot.energy(p, box)
            out[a_i, k] = -(ep - em) / (2 * h)
    return out


@pytest.mark.parametrize("model", small_models(), ids=["schnet", "bp"])
@pytest.mark.parametrize("periodic", [False, True])
def test_forces_are_minus_gradient(model, periodic):
    species, pos, box = water_box()
    box = box if periodic else None
    pot = NeuralPotential(model, species=species)
    e, f = pot.energy_forces(pos, box)
    assert np.isclose(e, pot.energy(pos, box), rtol=1e-12)
    atoms = [0, 4, 17, 40]
    np.testing.assert_allclose(f[atoms], fd_forces(pot, pos, box, atoms), rtol=1e-5, atol=1e-7)
    assert np.abs(f.sum(0)).max() < 1e-9  # no net force (translation invariance)


@pytest.mark.parametrize("model", small_models(), ids=["schnet", "bp"])
def test_periodic_invariance_translation_and_image(model):
    species, pos, box = water_box()
    e0 = NeuralPotential(model, species=species).energy(pos, box)
    shifted = pos + np.array([0.37, -1.21, 0.05])
    assert NeuralPotential(model, species=species).energy(shifted, box) == pytest.approx(e0, rel=1e-12)
    imaged = pos.copy()
    imaged[5] += box[0] - 2 * box[2]  # same atom, another periodic image
    assert NeuralPotential(model, species=species).energy(imaged, box) == pytest.approx(e0, rel=1e-12)
    # control: the same atom moved by a vector that is not a lattice vector changes the energy
    moved = pos.copy()
    moved[5] += 0.5 * box[0]
    assert abs(NeuralPotential(model, species=species).energy(moved, box) - e0) > 1e-6 * abs(e0)


@pytest.mark.parametrize("model", small_models(), ids=["schnet", "bp"])
def test_rotation_invariance_non_periodic(model):
    species, pos, _ = water_box(2)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    e0 = NeuralPotential(model, species=species).energy(pos)
    e1 = NeuralPotential(model, species=species).energy(pos @ q.T + 0.3)
    assert e1 == pytest.approx(e0, rel=1e-11)
    # control: a non-rigid map (stretch along x) changes the energy
    e2 = NeuralPotential(model, species=species).energy(pos * np.array([1.05, 1.0, 1.0]))
    assert abs(e2 - e0) > 1e-6 * abs(e0)


def test_float32_schnet_matches_float64_and_trains_in_float32():
    """A float32 model (torch's default precision) gives the float64 model's energy and
    forces to float32 accuracy, and its force-matching gradients stay float32."""
    species, pos, box = water_box()
    m64 = SchNet(3, n_features=12, n_interactions=2, n_rbf=10, cutoff=0.45, seed=1)
    m32 = SchNet(3, n_features=12, n_interactions=2, n_rbf=10, cutoff=0.45, seed=1,
                 dtype=np.float32)
    m32.load_state_dict({k: v.astype(np.float32) for k, v in m64.state_dict().items()})
    m64.energy_scale = m32.energy_scale = 30.0
    e64, f64 = NeuralPotential(m64, species=species).energy_forces(pos, box)
    e32, f32 = NeuralPotential(m32, species=species).energy_forces(pos, box)
    assert e32 == pytest.approx(e64, rel=1e-5, abs=1e-4)
    np.testing.assert_allclose(f32, f64, rtol=0, atol=2e-5 * np.abs(f64).max())
    confs = np.stack([pos, pos + rng.normal(0, 0.005, pos.shape)])
    data = Dataset(species, confs, rng.standard_normal(2), rng.standard_normal(confs.shape),
                   np.broadcast_to(box, (2, 3, 3)))
    from sponge.ml import predict

    params = m32.parameters()

    def loss():
        e, f = predict(m32, data, create_graph=True)
        return ad.mean((e - data.energy.astype(np.float32)) ** 2) + ad.mean(
            (f - data.forces.reshape(-1, 3).astype(np.float32)) ** 2)

    val, grads = ad.value_and_grad(loss, argnums=None, params=params)()
    assert val.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)


def test_neighbor_list_reused_until_half_skin():
    species, pos, box = water_box()
    pot = NeuralPotential(small_models()[0], species=species, skin=0.05)
    pot.energy_forces(pos, box)
    builds = pot._nl.n_builds
    pot.energy_forces(pos + 0.01, box)
    assert pot._nl.n_builds == builds
    moved = pos.copy()
    moved[3] += 0.03
    e_cached = pot.energy_forces(moved, box)[0]
    assert pot._nl.n_builds == builds + 1
    assert e_cached == pytest.approx(NeuralPotential(pot.model, species=species).energy(moved, box),
                                     rel=1e-12)


@pytest.mark.parametrize("model", small_models(), ids=["schnet", "bp"])
def test_force_matching_gradient_matches_finite_differences(model):
    species, pos, box = water_box(2)
    confs = np.stack([pos, pos + rng.normal(0, 0.005, pos.shape)])
    data = Dataset(species, confs, rng.standard_normal(2), rng.standard_normal(confs.shape))
    g = build_graph(species, confs, None, model.cutoff)
    params = [p for p in model.parameters()]

    def loss():
        x = ad.tensor(confs.reshape(-1, 3), requires_grad=True)
        e = model.energies(g, x)
        (gx,) = ad.autograd(e.sum(), x, create_graph=True)
        return ad.mean((e - data.energy) ** 2) + ad.mean((gx + data.forces.reshape(-1, 3)) ** 2)

    grads = ad.grad(loss, argnums=None, params=params, allow_unused=True)()
    d = [np.random.default_rng(3).standard_normal(p.shape) for p in params]
    h = 1e-6
    for p, v in zip(params, d, strict=True):
        p.data = p.data + h * v
    lp = float(loss().numpy())
    for p, v in zip(params, d, strict=True):
        p.data = p.data - 2 * h * v
    lm = float(loss().numpy())
    for p, v in zip(params, d, strict=True):
        p.data = p.data + h * v
    num = (lp - lm) / (2 * h)
    ana = sum(float((gr.numpy() * v).sum()) for gr, v in zip(grads, d, strict=True))
    assert ana == pytest.approx(num, rel=1e-5, abs=1e-8)


def lj_dataset(n_conf=40, seed=0, species=None):
    """Argon-like 6-atom LJ clusters (exact energies kJ/mol, forces kJ/mol/nm) as a Dataset.

    ``species`` labels the atoms (default all 0); the LJ parameters do not depend on it.
    """
    r = np.random.default_rng(seed)
    base = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1]],
                    float) * 0.38
    pos = base[None] + r.normal(0, 0.015, (n_conf, 6, 3))
    sig, eps = 0.34, 0.997
    d = pos[:, :, None] - pos[:, None]
    r2 = (d**2).sum(-1) + np.eye(6)
    s6 = (sig**2 / r2) ** 3
    e = 4 * eps * (s6**2 - s6)
    e[:, np.arange(6), np.arange(6)] = 0
    coef = 24 * eps * (2 * s6**2 - s6) / r2
    coef[:, np.arange(6), np.arange(6)] = 0
    species = np.zeros(6, int) if species is None else np.asarray(species)
    return Dataset(species, pos, 0.5 * e.sum((1, 2)), (coef[..., None] * d).sum(2))


def test_training_reduces_force_error_and_checkpoints(tmp_path):
    data = lj_dataset()
    tr, va = data.split(0.25, seed=1)
    model = SchNet(1, n_features=16, n_interactions=2, n_rbf=16, cutoff=0.6, seed=0)
    before = errors(model, va)[1]
    ckpt = tmp_path / "best.npz"
    res = train(model, tr, va, TrainConfig(epochs=25, batch_size=8, lr=3e-3, progress=False,
                                           checkpoint=str(ckpt)))
    after = errors(model, va)[1]
    assert after < 0.5 * before, (before, after)
    assert after == pytest.approx(res.best_valid_force_rmse, rel=1e-9)
    assert ckpt.exists() and ckpt.with_suffix(".json").exists()
    clone = SchNet(1, n_features=16, n_interactions=2, n_rbf=16, cutoff=0.6, seed=9)
    from sponge.ml import load_checkpoint, plot_learning_curve

    load_checkpoint(clone, ckpt)
    assert errors(clone, va)[1] == pytest.approx(after, rel=1e-12)
    plot_learning_curve(res, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 1000


def test_dataset_roundtrip_and_errors(tmp_path):
    data = lj_dataset(5)
    data.save(tmp_path / "d.npz")
    back = Dataset.load(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.forces, data.forces)
    np.savez(tmp_path / "bad.npz", species=data.species, positions=data.positions)
    with pytest.raises(ValueError, match=r"bad\.npz.*lacks arrays \['energy', 'forces'\]"):
        Dataset.load(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="forces has shape"):
        Dataset(data.species, data.positions, data.energy, data.forces[:, :3])
    with pytest.raises(ValueError, match="species"):
        NeuralPotential(small_models()[0], species=[0, 1], atoms=[0, 1, 2])


def _ala2_openmm():
    openmm = pytest.importorskip("openmm")
    from openmm import app

    prm = app.AmberPrmtopFile(str(DATA / "ala2_vacuum.parm7"))
    crd = app.AmberInpcrdFile(str(DATA / "ala2_vacuum.rst7"))
    system = prm.createSystem(nonbondedMethod=app.NoCutoff, constraints=None)
    pos = np.array(crd.getPositions(asNumpy=True).value_in_unit(openmm.unit.nanometer))
    return system, pos


def _openmm_energy(system, pos):
    import openmm

    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001),
                         openmm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(pos)
    return ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(
        openmm.unit.kilojoule_per_mole)


def _region_internal_system(system, region):
    """Only the interactions with every atom inside ``region`` (an independent construction)."""
    import openmm

    s = openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(system))
    inside = lambda *i: all(a in region for a in i)  # noqa: E731
    for f in s.getForces():
        if isinstance(f, openmm.HarmonicBondForce):
            for k in range(f.getNumBonds()):
                a, b, r0, kk = f.getBondParameters(k)
                if not inside(a, b):
                    f.setBondParameters(k, a, b, r0, 0.0)
        elif isinstance(f, openmm.HarmonicAngleForce):
            for k in range(f.getNumAngles()):
                a, b, c, t, kk = f.getAngleParameters(k)
                if not inside(a, b, c):
                    f.setAngleParameters(k, a, b, c, t, 0.0)
        elif isinstance(f, openmm.PeriodicTorsionForce):
            for k in range(f.getNumTorsions()):
                a, b, c, d, n, ph, kk = f.getTorsionParameters(k)
                if not inside(a, b, c, d):
                    f.setTorsionParameters(k, a, b, c, d, n, ph, 0.0)
        elif isinstance(f, openmm.NonbondedForce):
            for a in range(f.getNumParticles()):
                if a not in region:
                    q, sg, ep = f.getParticleParameters(a)
                    f.setParticleParameters(a, 0.0, sg, 0.0)
            for k in range(f.getNumExceptions()):
                a, b, q, sg, ep = f.getExceptionParameters(k)
                if not inside(a, b):
                    f.setExceptionParameters(k, a, b, 0.0, sg, 0.0)
    return s


def test_mlmm_system_removes_exactly_the_region_internal_terms():
    system, pos = _ala2_openmm()
    region = set(range(4, 16))
    mixed = mlmm_openmm_system(system, sorted(region))
    e_full = _openmm_energy(system, pos)
    e_mixed = _openmm_energy(mixed, pos)
    e_internal = _openmm_energy(_region_internal_system(system, region), pos)
    assert e_mixed + e_internal == pytest.approx(e_full, rel=1e-10, abs=1e-8)
    with pytest.raises(ValueError, match="ml_atoms"):
        mlmm_openmm_system(system, [999])


def test_mlmm_neural_term_in_sponge_system():
    sponge = pytest.importorskip("sponge")
    system, pos = _ala2_openmm()
    region = list(range(4, 16))
    mixed = mlmm_openmm_system(system, region)
    sys_s, state = sponge.from_openmm(mixed, pos)
    model = SchNet(4, n_features=8, n_interactions=1, n_rbf=8, cutoff=0.4, seed=3)
    species = np.arange(len(region)) % 4
    nn_term = NeuralPotential(model, species=species, atoms=region, n_atoms=len(pos))
    e_classical, f_classical = sys_s.energy_forces(state)
    sys_s.add_term(nn_term)
    terms = sys_s.energy_terms(state)
    e, f = sys_s.energy_forces(state)
    assert "neural" in terms
    assert e == pytest.approx(e_classical + nn_term.energy(pos), rel=1e-12)
    outside = [i for i in range(len(pos)) if i not in region]
    np.testing.assert_allclose(f[outside], f_classical[outside], rtol=1e-12, atol=1e-12)
    atoms = [5, 9, 15]
    np.testing.assert_allclose(f[atoms] - f_classical[atoms],
                               fd_forces(nn_term, pos, None, atoms), rtol=1e-5, atol=1e-7)


def test_train_potential_command(tmp_path):
    from sponge.cli import main

    lj_dataset(24).save(tmp_path / "lj.npz")
    (tmp_path / "train.toml").write_text(
        '[data]\npath = "lj.npz"\nvalid_fraction = 0.25\n'
        '[model]\ntype = "schnet"\nn_features = 8\nn_interactions = 1\nn_rbf = 8\ncutoff = 0.6\n'
        '[training]\nepochs = 3\nbatch_size = 6\nlr = 3e-3\n'
        '[output]\ndirectory = "out"\n')
    assert main(["train-potential", str(tmp_path / "train.toml"), "--no-progress"]) == 0
    for name in ("model.npz", "model.json", "learning_curve.png", "summary.json"):
        assert (tmp_path / "out" / name).exists(), name
    (tmp_path / "bad.toml").write_text('[data]\npath = "lj.npz"\n[model]\ntype = "schnet"\n'
                                       'n_features = "many"\n')
    assert main(["train-potential", str(tmp_path / "bad.toml"), "--no-progress"]) == 2


def test_train_config_errors_name_the_key(tmp_path):
    from sponge.ml.config import TrainConfigError, build_model, load_train_config

    with pytest.raises(TrainConfigError, match=r"\[model\]\.type"):
        build_model({"type": "transformer"}, 2)
    with pytest.raises(TrainConfigError, match=r"\[model\]\.n_features: expected int"):
        build_model({"type": "schnet", "n_features": 1.5}, 2)
    p = tmp_path / "c.toml"
    p.write_text('[data]\npath = "x.npz"\n[training]\nepoch = 3\n')
    with pytest.raises(TrainConfigError, match=r"\[training\]\.epoch: unknown"):
        load_train_config(p)


def test_generate_dataset_from_classical_md():
    sponge = pytest.importorskip("sponge")
    from sponge.ml import generate_dataset

    system, state = sponge.load_amber(DATA / "ala2_vacuum.parm7", DATA / "ala2_vacuum.rst7",
                                      nonbonded="NoCutoff")
    ds = generate_dataset(system, state, np.zeros(22, int), [300.0, 900.0], 5, interval=10,
                          equilibration=50)
    assert len(ds) == 10
    # labels are the classical energies and forces of the sampled frames
    e, f = system.energy_forces(sponge.State(ds.positions[7]))
    assert ds.energy[7] == pytest.approx(e, rel=1e-12)
    np.testing.assert_allclose(ds.forces[7], f, rtol=1e-12, atol=1e-12)
    # hotter frames are, on average, higher in energy
    assert ds.energy[5:].mean() > ds.energy[:5].mean()
    assert not np.array_equal(ds.positions[0], ds.positions[1])


def test_example_quick_run(tmp_path):
    import runpy
    import sys

    script = Path(__file__).resolve().parents[2] / "examples" / "sponge" / "train_and_run_mlff.py"
    argv = sys.argv
    sys.argv = [str(script), "--quick", "--out", str(tmp_path)]
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    for name in ("summary.json", "phi_psi_bonds.png", "learning_curve.png"):
        assert (tmp_path / name).exists(), name


def test_nve_with_neural_term_conserves_energy():
    """Velocity Verlet at 0.5 fs on ff14SB alanine dipeptide plus a SchNet term: the
    forces are the exact gradient, so the total energy only fluctuates (no drift)."""
    sponge = pytest.importorskip("sponge")
    system, state = sponge.load_amber(DATA / "ala2_vacuum.parm7", DATA / "ala2_vacuum.rst7",
                                      nonbonded="NoCutoff")
    model = SchNet(4, n_features=8, n_interactions=1, n_rbf=8, cutoff=0.4, seed=4)
    model.energy_scale = 50.0  # a term of ~200 kJ/mol with real curvature
    system.add_term(NeuralPotential(model, species=np.arange(22) % 4))
    integ = sponge.VelocityVerletIntegrator(0.0005)
    state.velocities = sponge.quantities.maxwell_boltzmann(system.masses, 300.0,
                                                           np.random.default_rng(2))
    integ.bind(system, seed=0)
    t, e = [], []
    for k in range(200):
        integ.step(state, 10)
        t.append((k + 1) * 10 * 0.0005)
        e.append(integ.potential_energy + integ.kinetic_energy(state))
    e = np.array(e)
    drift = np.polyfit(np.array(t) / 1000.0, e, 1)[0] / integ.degrees_of_freedom  # kJ/mol/ns/dof
    # measured: std 0.030 kJ/mol with exact forces; scaling the neural forces by 1.1
    # (non-conservative) gives 0.115, so this bound detects a 10 % force error
    assert abs(drift) < 0.5, drift
    assert e.std() < 0.06, e.std()


def test_contract_signature_neural_potential_model_species():
    """ARCHITECTURE: sponge.NeuralPotential(model, atoms=None); species from the model."""
    sponge = pytest.importorskip("sponge")
    species, pos, box = water_box()
    model = small_models()[0]
    with pytest.raises(ValueError, match="species"):
        sponge.NeuralPotential(model)
    model.species = species
    e = sponge.NeuralPotential(model).energy(pos, box)
    assert e == pytest.approx(NeuralPotential(model, species=species).energy(pos, box), rel=1e-14)


def test_short_range_wall_zero_on_data_and_forces_are_gradient():
    """The wall is zero on every configuration of the data it was built from, pushes
    atoms apart below the shortest distance seen, and its forces are -dE/dx."""
    from sponge.ml import ShortRangeWall

    data = lj_dataset(10)
    wall = ShortRangeWall.from_dataset(data, fraction=0.9, k=2.0e4)
    for c in range(len(data)):
        e, f = wall.energy_forces(data.positions[c])
        assert e == 0.0 and not f.any()
    pos = data.positions[0].copy()
    r0 = wall.r_min[0, 0]
    pos[1] = pos[0] + np.array([0.6 * r0, 0.1 * r0, 0.0])  # atoms 0 and 1 far too close
    e, f = wall.energy_forces(pos)
    assert e > 0 and f[1, 0] > 0 > f[0, 0]  # repulsive
    num = np.zeros_like(pos)
    h = 1e-7
    for a in range(len(pos)):
        for k in range(3):
            p = pos.copy()
            p[a, k] += h
            ep = wall.energy(p)
            p[a, k] -= 2 * h
            num[a, k] = -(ep - wall.energy(p)) / (2 * h)
    np.testing.assert_allclose(f, num, rtol=1e-6, atol=1e-6 * np.abs(f).max())
    # periodic: the same close pair across the box boundary
    box = np.eye(3) * 3.0
    shifted = pos + np.array([2.9 - pos[1, 0], 0.0, 0.0])
    shifted[1, 0] -= 3.0
    assert wall.energy(shifted, box) == pytest.approx(e, rel=1e-9)
    with pytest.raises(ValueError, match="r_min"):
        ShortRangeWall(np.array([0, 1]), np.zeros((1, 1)))
