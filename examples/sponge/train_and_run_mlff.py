"""Train a SchNet potential on classical alanine dipeptide and run MD with it.

Physics: alanine dipeptide in vacuum (Amber ff14SB, no constraints). Training
data, labelled with the unbiased classical energies and forces:

* well-tempered metadynamics on the backbone dihedrals (phi, psi) at 300 K
  (two walkers), so that every basin (C7eq, C5, alpha_R, alpha_L, C7ax) and
  the barriers between them are in the data;
* plain Langevin MD at 300 K and 500 K (thermal bond/angle fluctuations).

A float32 SchNet model (message passing over atom pairs within 0.5 nm) is
fitted to energies and forces (force matching, second-order autodiff), then
improved by rounds of active learning: short ML MD runs at 300 K from a
start in each basin, their frames labelled with the classical force field,
added to the data, and the model fine-tuned (best-validation weights kept) with
a larger energy weight in the loss, so that the energies of the basins and
barriers relative to each other come out right, not only the forces.
The force RMSE on each round's fresh ML-MD frames (before they are trained
on) is the measure of what the model still gets wrong where it goes.

Finally the learned potential drives Langevin MD at 300 K (0.5 fs, 50 ps)
next to a classical run from the same start and of the same length; the script
compares the phi/psi distributions (histogram overlap, with the overlap of two
classical runs as the yardstick) and the bond lengths, reports the force RMSE
on an independent 300 K test set and on the production ML-MD frames, the NVE
energy drift at 0.5 fs, and writes PNGs and a summary.json. Measured results:
docs/validation/mlff_ala2.md. Run time: about 8.5 minutes on two idle cores
(502 s measured); `--quick` is a smoke run of under a minute.

    python examples/sponge/train_and_run_mlff.py [--quick] [--out mlff_ala2]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

# One BLAS thread. The model's matrices are small (pairs x 32), so OpenBLAS's
# threads gain nothing (4.2 s per epoch with 1 or 2 threads on an idle 2-core
# machine), but when another process holds a core its spinning threads made an
# epoch take over 150 s (measured). Set before numpy loads OpenBLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import sponge
from sponge.ml import (
    Dataset,
    NeuralPotential,
    SchNet,
    ShortRangeWall,
    TrainConfig,
    errors,
    label_configurations,
    predict,
    train,
)
from sponge.ml.generate import sample_configurations, sample_metadynamics, sample_trajectory
from sponge.ml.training import init_energy_shift, plot_learning_curve

DATA = Path(sponge.__file__).parent / "data"
PHI, PSI = (4, 6, 8, 14), (6, 8, 14, 16)
BOLTZ = 0.00831446261815324  # kJ/mol/K
# (phi, psi) centres, degrees, of the basins of alanine dipeptide in vacuum
# loss weights of the per-atom energy error: the first training fits mostly forces (a
# large energy weight from the start costs ~40 % in force RMSE); the active-learning
# fine-tunes raise it (as MACE's final stage does), which brings the energies of the basins
# and barriers relative to each other (what decides where MD goes) into line
ENERGY_WEIGHT, FINETUNE_ENERGY_WEIGHT = 100.0, 3.0e4
BASINS = {"C7eq": (-80, 75), "C5": (-155, 160), "alpha_R": (-70, -35), "alpha_L": (60, 45),
          "C7ax": (72, -60)}


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


def phi_psi(frames: np.ndarray) -> np.ndarray:
    """(phi, psi) in degrees, shape ``(n, 2)``, of frames ``(n, 22, 3)``."""
    return np.degrees(np.stack([dihedral(frames, PHI), dihedral(frames, PSI)], axis=1))


def basin_of(angles: np.ndarray) -> np.ndarray:
    """Index (into BASINS) of the nearest basin centre of each (phi, psi) row (degrees)."""
    centres = np.array(list(BASINS.values()), dtype=float)
    d = (angles[:, None, :] - centres[None] + 180.0) % 360.0 - 180.0
    return np.argmin((d**2).sum(-1), axis=1)


def basin_starts(frames: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """For each basin, the frame closest to its (phi, psi) centre (an ML-MD start)."""
    ang = phi_psi(frames)
    out = []
    for name, c in BASINS.items():
        d = (ang - np.array(c) + 180.0) % 360.0 - 180.0
        out.append((name, frames[int(np.argmin((d**2).sum(1)))]))
    return out


def overlap(a: np.ndarray, b: np.ndarray, bins: int = 36) -> float:
    """Overlap sum(min(p, q)) of two (phi, psi) histograms (degrees, ``bins`` x ``bins``)."""
    edges = np.linspace(-180.0, 180.0, bins + 1)
    ha = np.histogram2d(a[:, 0], a[:, 1], [edges, edges])[0]
    hb = np.histogram2d(b[:, 0], b[:, 1], [edges, edges])[0]
    return float(np.minimum(ha / max(ha.sum(), 1), hb / max(hb.sum(), 1)).sum())


def basin_populations(angles: np.ndarray) -> dict[str, float]:
    counts = np.bincount(basin_of(angles), minlength=len(BASINS)) if len(angles) else \
        np.zeros(len(BASINS))
    return {k: float(c / max(len(angles), 1)) for k, c in zip(BASINS, counts, strict=True)}


def basin_energy_errors(model, data: Dataset) -> dict[str, float]:
    """Mean energy error (model - reference, kJ/mol) per basin and on the phi ~ 0 barrier
    (|phi| < 30 deg), relative to the C7eq mean error: what decides basin populations."""
    e = np.concatenate([predict(model, data, np.arange(i, min(i + 64, len(data))))[0].numpy()
                        for i in range(0, len(data), 64)])
    err = e - data.energy
    ang = phi_psi(data.positions)
    b = basin_of(ang)
    base = float(err[b == 0].mean()) if (b == 0).any() else 0.0
    out = {name: float(err[b == k].mean() - base) for k, name in enumerate(BASINS)
           if (b == k).any()}
    bar = np.abs(ang[:, 0]) < 30.0
    if bar.any():
        out["phi0_barrier"] = float(err[bar].mean() - base)
    return out


def training_data(system, state, species, q: bool) -> tuple[Dataset, dict]:
    """Metadynamics frames over (phi, psi) plus plain 300 K / 500 K frames, labelled."""
    cvs = [sponge.cv.Dihedral(*PHI, name="phi"), sponge.cv.Dihedral(*PSI, name="psi")]
    parts, info = [], {}
    for walker in range(1 if q else 2):
        # 1 fs steps; hills of 2 kJ/mol every 0.1 ps, bias factor 10: (phi, psi) explore
        # as if at 3000 K, crossing into every basin within ~100 ps; a frame every 0.5 ps
        pos, _ = sample_metadynamics(system, state, cvs, 300.0, 20 if q else 400,
                                     interval=100 if q else 500, height=2.0, sigma=0.35,
                                     bias_factor=10.0, pace=100, timestep=0.001,
                                     seed=100 + walker)
        parts.append(pos)
    metad = np.concatenate(parts)
    info["metadynamics_frames"] = len(metad)
    info["metadynamics_basin_fractions"] = basin_populations(phi_psi(metad))
    thermal, _ = sample_configurations(system, state, [300.0, 500.0], 15 if q else 400,
                                       interval=20 if q else 50,
                                       equilibration=200 if q else 2000, timestep=0.001)
    info["thermal_frames"] = len(thermal)
    pos = np.concatenate([metad, thermal])
    return label_configurations(system, species, pos), info


def label_and_filter(system, species, frames: np.ndarray, e_max: float) -> tuple[Dataset, int]:
    """Classical labels of ML-MD frames; frames more than 500 kJ/mol above the highest
    training energy (a collapsed geometry: forces of 1e5 kJ/mol/nm would swamp the loss)
    are dropped. Returns the dataset and how many were dropped."""
    data = label_configurations(system, species, frames)
    keep = data.energy < e_max + 500.0
    return data.subset(np.nonzero(keep)[0]), int((~keep).sum())


def active_learning(model, system, make_ml_system, species, train_set, valid_set, starts,
                    rounds: int, q: bool, out: Path, energy_weight: float
                    ) -> tuple[Dataset, Dataset, list[dict]]:
    """Rounds of: ML MD from each start -> classical labels -> errors -> fine-tune."""
    log = []
    for r in range(rounds):
        t0 = time.perf_counter()
        ml_system = make_ml_system(train_set)
        frames, completed = [], {}
        for k, (name, pos) in enumerate(starts):
            # 300 K, 0.5 fs, 2.5 ps, a frame every 50 fs (quick: 25 fs, a frame every 5 fs)
            st = sponge.State(pos.copy())
            f, ok = sample_trajectory(ml_system, st, 300.0, 5 if q else 50,
                                      interval=10 if q else 100,
                                      timestep=0.0005, seed=1000 * (r + 1) + k)
            frames.append(f)
            completed[name] = bool(ok)
        frames = np.concatenate(frames)
        new, dropped = label_and_filter(system, species, frames, float(train_set.energy.max()))
        if len(new) < 2:
            print(f"active learning round {r + 1}: only {len(new)} usable ML-MD frames "
                  f"(runs completed: {completed}); stopping")
            log.append({"round": r + 1, "ml_md_frames": len(frames), "dropped_frames": dropped,
                        "runs_completed": completed})
            break
        e_before, f_before = errors(model, new)
        tr_new, va_new = new.split(0.1, seed=r)
        train_set = Dataset.concatenate([train_set, tr_new])
        valid_set = Dataset.concatenate([valid_set, va_new])
        res = train(model, train_set, valid_set,
                    TrainConfig(epochs=2 if q else 15, batch_size=8, lr=5e-4,
                                lr_end_fraction=0.05, energy_weight=energy_weight, patience=100,
                                checkpoint=str(out / "schnet_ala2.npz")))
        e_after, f_after = errors(model, new)
        entry = {"round": r + 1, "ml_md_frames": len(frames), "dropped_frames": dropped,
                 "runs_completed": completed,
                 "basin_fractions_ml_md": basin_populations(phi_psi(frames)),
                 "force_rmse_on_new_frames_before": f_before,
                 "energy_rmse_on_new_frames_before": e_before,
                 "force_rmse_on_new_frames_after": f_after,
                 "energy_rmse_on_new_frames_after": e_after,
                 "rms_force_new_frames": float(np.sqrt(np.mean(new.forces**2))),
                 "valid_force_rmse": res.best_valid_force_rmse,
                 "training_size": len(train_set), "seconds": time.perf_counter() - t0}
        print(f"active learning round {r + 1}: {len(frames)} ML-MD frames (runs completed: "
              f"{completed}); force RMSE on them {f_before:.1f} -> {f_after:.1f} kJ/mol/nm "
              f"after fine-tuning ({entry['seconds']:.0f} s)")
        log.append(entry)
    return train_set, valid_set, log


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings: a smoke run (< 1 min)")
    ap.add_argument("--out", default="mlff_ala2")
    ap.add_argument("--epochs", type=int, default=60, help="epochs of the first training")
    ap.add_argument("--rounds", type=int, default=2, help="active-learning rounds")
    ap.add_argument("--md-ps", type=float, default=50.0, help="length of the production MD, ps")
    ap.add_argument("--energy-weight", type=float, default=ENERGY_WEIGHT,
                    help="weight of mean((dE/n_atoms)^2) against mean(dF^2), first training")
    ap.add_argument("--finetune-energy-weight", type=float, default=FINETUNE_ENERGY_WEIGHT,
                    help="the same weight in the active-learning fine-tunes")
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
    data, data_info = training_data(system, state, species, q)
    data.save(out / "training_data.npz")
    print(f"data: {len(data)} labelled configurations in {time.perf_counter() - t0:.0f} s; "
          f"metadynamics basin fractions {data_info['metadynamics_basin_fractions']}")
    train_set, valid_set = data.split(0.1, seed=0)
    # float32 weights and arithmetic (PyTorch's default): twice the training throughput
    model = SchNet(len(kinds), n_features=16 if q else 32, n_interactions=2 if q else 3,
                   n_rbf=16 if q else 32, cutoff=0.5, seed=0, dtype=np.float32)
    init_energy_shift(model, train_set, force_length=0.02)
    res = train(model, train_set, valid_set,
                TrainConfig(epochs=3 if q else args.epochs, batch_size=8, lr=1.5e-3,
                            lr_end_fraction=0.02, energy_weight=args.energy_weight,
                            patience=max(20, args.epochs),
                            checkpoint=str(out / "schnet_ala2.npz")))
    e_rmse0, f_rmse0 = errors(model, valid_set)
    print(f"trained {len(res.history['epoch'])} epochs in {res.seconds:.0f} s: validation "
          f"energy RMSE {e_rmse0:.2f} kJ/mol, force RMSE {f_rmse0:.1f} kJ/mol/nm")
    plot_learning_curve(res, out / "learning_curve.png")
    # test set: an independent 300 K trajectory (another seed), never used in training
    test_pos, _ = sample_configurations(system, state, [300.0], 10 if q else 200,
                                        interval=20 if q else 50,
                                        equilibration=200 if q else 2000, timestep=0.001,
                                        seed=123)
    test_set = label_configurations(system, species, test_pos)
    test_before = errors(model, test_set)
    # a third metadynamics walker, never trained on: energies across all basins and barriers
    cvs = [sponge.cv.Dihedral(*PHI, name="phi"), sponge.cv.Dihedral(*PSI, name="psi")]
    metad_test = label_configurations(system, species, sample_metadynamics(
        system, state, cvs, 300.0, 20 if q else 200, interval=100 if q else 1000, height=2.0,
        sigma=0.35, bias_factor=10.0, pace=100, timestep=0.001, seed=777)[0])
    basin_err_before = basin_energy_errors(model, metad_test)

    # a harmonic wall below 0.9 x the shortest distance of each element pair in the training
    # data: zero on all training data, a cheap guard against collapsed geometries
    def make_ml_system(ts: Dataset):
        wall = ShortRangeWall.from_dataset(ts, fraction=0.9)
        return sponge.System(system.masses, terms=[NeuralPotential(model, species=species),
                                                   wall], topology=system.topology)

    starts = basin_starts(data.positions[:data_info["metadynamics_frames"]])
    train_set, valid_set, al_log = active_learning(
        model, system, make_ml_system, species, train_set, valid_set, starts,
        1 if q else args.rounds, q, out, args.finetune_energy_weight)
    e_rmse, f_rmse = errors(model, valid_set)
    f_scale = float(np.sqrt(np.mean(valid_set.forces**2)))
    te_rmse, tf_rmse = errors(model, test_set)
    print(f"independent 300 K test set: energy RMSE {te_rmse:.2f} kJ/mol (after removing the "
          f"mean offset: {_centered_rmse(model, test_set):.2f}), force RMSE {tf_rmse:.1f} "
          f"kJ/mol/nm (before active learning {test_before[1]:.1f}; RMS force "
          f"{np.sqrt(np.mean(test_set.forces**2)):.0f})")

    ml_system = make_ml_system(train_set)
    steps = 2000 if q else int(round(args.md_ps / 0.0005))
    classical, t_cl = run_md(system, state, steps, 20, 0.0005, seed=1)
    classical2, _ = run_md(system, state, steps, 20, 0.0005, seed=2)
    learned, t_ml = run_md(ml_system, state, steps, 20, 0.0005, seed=1)
    drift, fluct = nve_drift(ml_system, state, 400 if q else 20_000, 0.0005)
    # how well the model knows where its own MD goes: classical labels of ML-MD frames
    probe = learned[::10] if len(learned) >= 10 else learned
    ml_frames_rmse = errors(model, label_configurations(system, species, probe))[1] \
        if len(probe) else float("nan")

    bonds = np.array([(a, b) for a, b in system.topology.bonds])

    def bond_lengths(frames):
        return np.linalg.norm(frames[:, bonds[:, 0]] - frames[:, bonds[:, 1]], axis=-1)

    bl_cl, bl_ml = bond_lengths(classical), bond_lengths(learned)
    ang_cl, ang_cl2, ang_ml = phi_psi(classical), phi_psi(classical2), phi_psi(learned)
    summary = {
        "configurations": len(data), "data": data_info,
        "validation_energy_rmse_kj_mol": e_rmse, "validation_force_rmse_kj_mol_nm": f_rmse,
        "validation_rms_force_kj_mol_nm": f_scale,
        "validation_force_rmse_before_active_learning": f_rmse0,
        "test300_energy_rmse_kj_mol": te_rmse, "test300_force_rmse_kj_mol_nm": tf_rmse,
        "test300_centered_energy_rmse_kj_mol": _centered_rmse(model, test_set),
        "test300_force_rmse_before_active_learning": test_before[1],
        "test300_rms_force_kj_mol_nm": float(np.sqrt(np.mean(test_set.forces**2))),
        "metad_test_force_rmse_kj_mol_nm": errors(model, metad_test)[1],
        "metad_test_rms_force_kj_mol_nm": float(np.sqrt(np.mean(metad_test.forces**2))),
        "basin_energy_error_vs_c7eq_kj_mol": basin_energy_errors(model, metad_test),
        "basin_energy_error_vs_c7eq_before_active_learning": basin_err_before,
        "energy_weight": args.energy_weight,
        "finetune_energy_weight": args.finetune_energy_weight,
        "epochs": len(res.history["epoch"]), "training_s": res.seconds,
        "active_learning": al_log,
        "production_ml_md_frames_force_rmse_kj_mol_nm": ml_frames_rmse,
        "md_ps_requested": steps * 0.0005, "classical_md_ps": len(classical) * 20 * 0.0005,
        "ml_md_ps": len(learned) * 20 * 0.0005, "classical_md_s": t_cl, "ml_md_s": t_ml,
        "mean_bond_length_nm": {"classical": float(bl_cl.mean()), "ml": float(bl_ml.mean())},
        "bond_length_std_nm": {"classical": float(bl_cl.std(0).mean()),
                               "ml": float(bl_ml.std(0).mean())},
        "max_bond_mean_difference_nm": float(np.abs(bl_cl.mean(0) - bl_ml.mean(0)).max()),
        "basin_fractions": {"classical": basin_populations(ang_cl),
                            "classical_seed2": basin_populations(ang_cl2),
                            "ml": basin_populations(ang_ml)},
        "ramachandran_overlap": overlap(ang_cl, ang_ml),
        "ramachandran_overlap_classical_vs_classical": overlap(ang_cl, ang_cl2),
        "ramachandran_overlap_20deg_bins": overlap(ang_cl, ang_ml, 18),
        "ramachandran_overlap_classical_vs_classical_20deg_bins": overlap(ang_cl, ang_cl2, 18),
        "nve_drift_kj_mol_ns_dof": float(drift), "nve_total_energy_std_kj_mol": fluct,
        "wall_s": time.perf_counter() - t_start, "cpu_s": time.process_time() - c_start,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    fig, ax = plt.subplots(1, 4, figsize=(17, 4))
    ang_data = phi_psi(data.positions)
    for a, (ang, title) in zip(ax[:3], ((ang_data, "training data (metaD + thermal)"),
                                        (ang_cl, "classical MD (ff14SB), 300 K"),
                                        (ang_ml, "SchNet MD, 300 K")), strict=True):
        # the data panel on a log scale: coverage of the sparse regions is the point
        a.hist2d(ang[:, 0], ang[:, 1], bins=36, range=[[-180, 180], [-180, 180]],
                 cmap="viridis", norm=LogNorm() if ang is ang_data else None)
        a.set(xlabel="phi (deg)", ylabel="psi (deg)", title=title)
    ax[3].hist(bl_cl.ravel(), bins=80, histtype="step", density=True, label="classical")
    ax[3].hist(bl_ml.ravel(), bins=80, histtype="step", density=True, label="SchNet")
    ax[3].set(xlabel="bond length (nm)", ylabel="density", title="bond lengths")
    ax[3].legend()
    fig.tight_layout()
    fig.savefig(out / "phi_psi_bonds.png", dpi=110)
    print(f"outputs in {out.resolve()}")


if __name__ == "__main__":
    main()
