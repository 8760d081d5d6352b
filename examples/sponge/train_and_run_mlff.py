"""Train a SchNet potential on classical alanine dipeptide and run MD with it.

Physics: alanine dipeptide in vacuum (Amber ff14SB, no constraints). Training
configurations come from Langevin MD of the classical force field (two 300 K
trajectories, one at 500 K and one at 700 K), labelled with its energies and
forces. A float32 SchNet model (message passing over all atom pairs within
0.5 nm) is fitted to energies and forces by force matching (second-order
autodiff) and tested on an independent 300 K trajectory; it then drives
Langevin MD at 300 K with a 0.5 fs step next to a classical run of the same
length (50 ps); the script compares the phi/psi distributions (Ramachandran
histograms) and the bond-length distributions, reports the NVE energy drift
of the learned potential, and writes PNGs and a summary.json. Measured
(docs/validation/mlff_ala2.md): 300 K test force RMSE 78 kJ/mol/nm, about
9 CPU minutes in all (single-threaded; 15-30 minutes wall on a loaded 2-core
machine). Known failure recorded there: the ML MD settles in the C7ax basin
(phi, psi ~ +70, -60 deg) instead of C7eq and can collapse into geometries
absent from the training data. `--quick` is a one-minute smoke run.

    python examples/sponge/train_and_run_mlff.py [--quick] [--out mlff_ala2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import sponge
from sponge.ml import (
    NeuralPotential,
    SchNet,
    ShortRangeWall,
    TrainConfig,
    errors,
    generate_dataset,
    predict,
    train,
)
from sponge.ml.training import init_energy_shift, plot_learning_curve

DATA = Path(sponge.__file__).parent / "data"
PHI, PSI = (4, 6, 8, 14), (6, 8, 14, 16)
BOLTZ = 0.00831446261815324  # kJ/mol/K


def dihedral(pos: np.ndarray, idx: tuple[int, int, int, int]) -> np.ndarray:
    """Dihedral angles (radians) of frames ``pos`` (n, atoms, 3)."""
    p0, p1, p2, p3 = (pos[:, i] for i in idx)
    b0, b1, b2 = p0 - p1, p2 - p1, p3 - p2
    b1n = b1 / np.linalg.norm(b1, axis=1, keepdims=True)
    v = b0 - (b0 * b1n).sum(1, keepdims=True) * b1n
    w = b2 - (b2 * b1n).sum(1, keepdims=True) * b1n
    x = (v * w).sum(1)
    y = (np.cross(b1n, v) * w).sum(1)
    return np.arctan2(y, x)


def _centered_rmse(model, data) -> float:
    """Energy RMSE after removing the mean error (relative energies are what MD sees)."""
    e, _ = predict(model, data)
    d = e.numpy() - data.energy
    return float(np.sqrt(np.mean((d - d.mean()) ** 2)))


def run_md(system, state, steps, every, timestep, seed):
    integ = sponge.LangevinMiddleIntegrator(300.0, 1.0, timestep)
    st = state.copy()
    st.velocities = sponge.quantities.maxwell_boltzmann(system.masses, 300.0,
                                                        np.random.default_rng(seed))
    sim = sponge.Simulation(system, integ, st, seed=seed)
    frames = []
    t0 = time.perf_counter()
    try:
        for _ in range(steps // every):
            sim.run(every, progress=False)
            frames.append(sim.state.positions.copy())
    except sponge.SimulationInstabilityError as exc:  # an under-trained model can break bonds
        print(f"MD stopped: {exc}")
    return np.array(frames), time.perf_counter() - t0


def nve_drift(system, state, steps, timestep):
    """Total-energy drift (kJ/mol/ns/dof) and fluctuation of velocity Verlet."""
    integ = sponge.VelocityVerletIntegrator(timestep)
    st = state.copy()
    st.velocities = sponge.quantities.maxwell_boltzmann(system.masses, 300.0,
                                                        np.random.default_rng(7))
    integ.bind(system, seed=0)
    t, e = [], []
    try:
        for k in range(steps // 10):
            integ.step(st, 10)
            t.append((k + 1) * 10 * timestep)
            e.append(integ.potential_energy + integ.kinetic_energy(st))
    except sponge.SimulationInstabilityError as exc:
        print(f"NVE stopped: {exc}")
    if len(t) < 3:
        return float("nan"), float("nan")
    slope = np.polyfit(np.array(t) / 1000.0, e, 1)[0]  # kJ/mol per ns
    return slope / integ.degrees_of_freedom, float(np.std(e))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings: a one-minute smoke run")
    ap.add_argument("--out", default="mlff_ala2")
    ap.add_argument("--epochs", type=int, default=60,
                    help="training epochs (default 60: ~11 min of training on 2 cores)")
    args = ap.parse_args()
    q = args.quick
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    system, state = sponge.load_amber(DATA / "ala2_vacuum.parm7", DATA / "ala2_vacuum.rst7",
                                      nonbonded="NoCutoff")
    elements = system.topology.elements
    kinds = sorted(set(elements))
    species = np.array([kinds.index(e) for e in elements])

    t_start, c_start = time.perf_counter(), time.process_time()
    t0 = time.perf_counter()
    # two independent 300 K trajectories (the MD temperature) plus 500 and 700 K for
    # the strained bonds and angles that keep MD with the learned model stable
    data = generate_dataset(system, state, species, [300.0, 300.0, 500.0, 700.0],
                            15 if q else 400, interval=20 if q else 50,
                            equilibration=200 if q else 2000, timestep=0.001)
    print(f"data: {len(data)} labelled configurations in {time.perf_counter() - t0:.0f} s")
    train_set, valid_set = data.split(0.1, seed=0)
    # float32 weights and arithmetic (PyTorch's default): twice the training throughput
    model = SchNet(len(kinds), n_features=16 if q else 32, n_interactions=2 if q else 3,
                   n_rbf=16 if q else 32, cutoff=0.5, seed=0, dtype=np.float32)
    init_energy_shift(model, train_set, force_length=0.02)
    res = train(model, train_set, valid_set,
                TrainConfig(epochs=3 if q else args.epochs, batch_size=8, lr=1.5e-3,
                            lr_end_fraction=0.02, energy_weight=100.0,
                            patience=max(20, args.epochs),
                            checkpoint=str(out / "schnet_ala2.npz")))
    e_rmse, f_rmse = errors(model, valid_set)
    f_scale = float(np.sqrt(np.mean(valid_set.forces**2)))
    print(f"trained {len(res.history['epoch'])} epochs in {res.seconds:.0f} s: validation "
          f"energy RMSE {e_rmse:.2f} kJ/mol, force RMSE {f_rmse:.1f} kJ/mol/nm "
          f"(RMS force {f_scale:.0f} kJ/mol/nm)")
    # test set: an independent 300 K trajectory (another seed), never seen in training
    test_set = generate_dataset(system, state, species, [300.0], 10 if q else 200,
                                interval=20 if q else 50, equilibration=200 if q else 2000,
                                timestep=0.001, seed=123)
    te_rmse, tf_rmse = errors(model, test_set)
    print(f"independent 300 K test set: energy RMSE {te_rmse:.2f} kJ/mol (after removing the "
          f"mean offset: {_centered_rmse(model, test_set):.2f}), force RMSE {tf_rmse:.1f} "
          f"kJ/mol/nm (RMS force {np.sqrt(np.mean(test_set.forces**2)):.0f})")
    plot_learning_curve(res, out / "learning_curve.png")

    # a harmonic wall below 0.9 x the shortest distance of each element pair in the training
    # data: zero on all training data, it keeps MD out of collapsed geometries the model
    # never saw (where a neural potential can be attractive and the run blows up)
    wall = ShortRangeWall.from_dataset(train_set, fraction=0.9)
    ml_system = sponge.System(system.masses, terms=[NeuralPotential(model, species=species), wall],
                              topology=system.topology)
    steps = 2000 if q else 100_000  # 50 ps at 0.5 fs
    classical, t_cl = run_md(system, state, steps, 20, 0.0005, seed=1)
    learned, t_ml = run_md(ml_system, state, steps, 20, 0.0005, seed=1)
    drift, fluct = nve_drift(ml_system, state, 400 if q else 20_000, 0.0005)

    bonds = np.array([(a, b) for a, b in system.topology.bonds])
    def bond_lengths(frames):
        return np.linalg.norm(frames[:, bonds[:, 0]] - frames[:, bonds[:, 1]], axis=-1)

    bl_cl, bl_ml = bond_lengths(classical), bond_lengths(learned)
    phi_cl, psi_cl = dihedral(classical, PHI), dihedral(classical, PSI)
    phi_ml, psi_ml = dihedral(learned, PHI), dihedral(learned, PSI)
    edges = np.linspace(-np.pi, np.pi, 37)
    h_cl = np.histogram2d(phi_cl, psi_cl, [edges, edges])[0]
    h_ml = np.histogram2d(phi_ml, psi_ml, [edges, edges])[0]
    overlap = float(np.minimum(h_cl / h_cl.sum(), h_ml / max(h_ml.sum(), 1)).sum())
    summary = {
        "configurations": len(data), "validation_configurations": len(valid_set),
        "validation_energy_rmse_kj_mol": e_rmse,
        "validation_force_rmse_kj_mol_nm": f_rmse, "validation_rms_force_kj_mol_nm": f_scale,
        "test300_energy_rmse_kj_mol": te_rmse, "test300_force_rmse_kj_mol_nm": tf_rmse,
        "test300_centered_energy_rmse_kj_mol": _centered_rmse(model, test_set),
        "test300_rms_force_kj_mol_nm": float(np.sqrt(np.mean(test_set.forces**2))),
        "epochs": len(res.history["epoch"]), "training_s": res.seconds,
        "md_ps_requested": steps * 0.0005, "classical_md_ps": len(classical) * 20 * 0.0005,
        "ml_md_ps": len(learned) * 20 * 0.0005, "classical_md_s": t_cl, "ml_md_s": t_ml,
        "mean_bond_length_nm": {"classical": float(bl_cl.mean()), "ml": float(bl_ml.mean())},
        "bond_length_std_nm": {"classical": float(bl_cl.std(0).mean()),
                               "ml": float(bl_ml.std(0).mean())},
        "max_bond_mean_difference_nm": float(np.abs(bl_cl.mean(0) - bl_ml.mean(0)).max()),
        "phi_mean_deg": {"classical": float(np.degrees(np.angle(np.exp(1j * phi_cl).mean()))),
                         "ml": float(np.degrees(np.angle(np.exp(1j * phi_ml).mean())))},
        "psi_mean_deg": {"classical": float(np.degrees(np.angle(np.exp(1j * psi_cl).mean()))),
                         "ml": float(np.degrees(np.angle(np.exp(1j * psi_ml).mean())))},
        "ramachandran_overlap": overlap,
        "nve_drift_kj_mol_ns_dof": float(drift), "nve_total_energy_std_kj_mol": fluct,
        "wall_s": time.perf_counter() - t_start, "cpu_s": time.process_time() - c_start,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    for a, (phi, psi, title) in zip(ax[:2], ((phi_cl, psi_cl, "classical (ff14SB)"),
                                              (phi_ml, psi_ml, "SchNet")), strict=True):
        a.hist2d(np.degrees(phi), np.degrees(psi), bins=36, range=[[-180, 180], [-180, 180]],
                 cmap="viridis")
        a.set(xlabel="phi (deg)", ylabel="psi (deg)", title=f"{title}, 300 K")
    ax[2].hist(bl_cl.ravel(), bins=80, histtype="step", density=True, label="classical")
    ax[2].hist(bl_ml.ravel(), bins=80, histtype="step", density=True, label="SchNet")
    ax[2].set(xlabel="bond length (nm)", ylabel="density", title="bond lengths")
    ax[2].legend()
    fig.tight_layout()
    fig.savefig(out / "phi_psi_bonds.png", dpi=110)
    print(f"outputs in {out.resolve()}")


if __name__ == "__main__":
    main()
