"""Alanine dipeptide in TIP3P water with SITS: the phi/psi free-energy surface at 300 K.

Physics: the SPONGE 2 SITS benchmark (``shared/data/ala2_sits_tip3p``: 22
solute atoms + 606 TIP3P waters, PME, 0.8 nm cutoff, bonds to hydrogen and
water rigid, middle-scheme Langevin 300 K, 1/ps, 2 fs). SITS enhances
``E_s = U_PP + 0.5 U_PW`` of the solute over 100 temperatures 273-650 K; the
n_k are iterated (update every 20 steps), then fixed for production, whose
frames are reweighted with ``exp(+beta_0 * bias)`` to the canonical phi/psi
free energy and compared with the brute-force reference ``phi_psi_ref.npy``
(250,000 samples of plain MD at 300 K). ``--plain`` runs unbiased MD of the
same length instead, to count how often each visits phi > 0 (alpha_L / C7ax).

Run time: ``--quick`` (CI) takes seconds; the default settings
(0.1 ns iteration + 1 ns production) take about 10 ms/step on two cores,
i.e. a few hours; ``--max-wall`` stops production early and still writes
everything. The published benchmark uses 2 ns + 40 ns.

Outputs in ``--out``: ``frames_<tag>.npz`` (phi, psi, bias, E_s per frame),
``nk_traj.dat`` and ``nk_rest.txt`` (SITS), ``summary_<tag>.json`` and, for
SITS, ``fes_<tag>.png`` (reweighted FES next to the reference).

    python examples/sponge/ala2_sits.py --quick
    python examples/sponge/ala2_sits.py --iteration-steps 50000 --production-steps 500000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import sponge
from sponge.quantities import BOLTZ
from sponge.system import Constraints

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ala2_sits_tip3p"
PHI = (4, 6, 8, 14)
PSI = (6, 8, 14, 16)
KJ_PER_KCAL = 4.184


def dihedral(pos: np.ndarray, idx: tuple[int, int, int, int]) -> float:
    """IUPAC dihedral angle of four atoms, radians in (-pi, pi]."""
    p0, p1, p2, p3 = (pos[i] for i in idx)
    b0, b1, b2 = p0 - p1, p2 - p1, p3 - p2
    b1n = b1 / np.linalg.norm(b1)
    v = b0 - np.dot(b0, b1n) * b1n
    w = b2 - np.dot(b2, b1n) * b1n
    return float(np.arctan2(np.dot(np.cross(b1n, v), w), np.dot(v, w)))


def build(data: Path):
    """System with bonds to hydrogen constrained (rigid TIP3P included) and its state."""
    system, state = sponge.load_sponge(data / "ALA", nonbonded="PME", cutoff=0.8)
    bond = system.term("bond")
    h = system.masses < 1.5
    sel = h[bond.indices].any(axis=1)
    system.constraints = Constraints(bond.indices[sel].copy(), np.asarray(bond.r0[sel], float))
    return system, state


def free_energy_2d(phi, psi, weights, bins: int, kt: float) -> np.ndarray:
    """``(bins, bins)`` free energy (units of ``kt``), min 0, NaN where empty."""
    h, _, _ = np.histogram2d(phi, psi, bins=bins, range=[[-np.pi, np.pi]] * 2, weights=weights)
    with np.errstate(divide="ignore"):
        f = -kt * np.log(h / h.sum())
    f[~np.isfinite(f)] = np.nan
    return f - np.nanmin(f)


def count_visits(phi: np.ndarray) -> int:
    """Entries into phi > 0.35 rad coming from phi < -0.35 rad (hysteresis against noise)."""
    state, n = 0, 0
    for p in phi:
        if p < -0.35:
            state = -1
        elif p > 0.35 and p < 2.8:
            if state == -1:
                n += 1
            state = 1
    return n


def compare(phi, psi, weights, ref: np.ndarray, bins: int = 24, cap: float = 4.0) -> dict:
    """FES vs reference in kcal/mol over the reference's bins below ``cap`` kcal/mol."""
    kt = BOLTZ * 300.0 / KJ_PER_KCAL
    f = free_energy_2d(phi, psi, weights, bins, kt)
    fr = free_energy_2d(ref[:, 0], ref[:, 1], None, bins, kt)
    region = np.isfinite(fr) & (fr < cap)
    both = region & np.isfinite(f)
    d = f[both] - fr[both]
    # align the two surfaces by their Boltzmann-weighted mean over the region
    wr = np.exp(-fr[both] / kt)
    d -= np.sum(wr * d) / np.sum(wr)
    return {"bins": bins, "region_bins": int(region.sum()), "covered_bins": int(both.sum()),
            "max_abs_kcal": float(np.max(np.abs(d))) if d.size else None,
            "rms_kcal": float(np.sqrt(np.mean(d * d))) if d.size else None,
            "frac_within_0p5": float(np.mean(np.abs(d) <= 0.5)) if d.size else None,
            "fes": f, "fes_ref": fr}


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.3), constrained_layout=True)
    ext = [-180, 180, -180, 180]
    for ax, key, title in ((axes[0], "fes", "SITS, reweighted to 300 K"),
                           (axes[1], "fes_ref", "plain MD reference (300 K)")):
        im = ax.imshow(np.minimum(result[key].T, 8.0), origin="lower", extent=ext,
                       cmap="viridis", vmin=0, vmax=8)
        ax.set_title(title)
        ax.set_xlabel("phi (deg)")
        ax.set_ylabel("psi (deg)")
    fig.colorbar(im, ax=axes, label="free energy (kcal/mol)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few steps (CI smoke run)")
    ap.add_argument("--plain", action="store_true", help="plain MD instead of SITS")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=Path("ala2_sits_out"))
    ap.add_argument("--equilibration-steps", type=int, default=5000)
    ap.add_argument("--iteration-steps", type=int, default=50_000)
    ap.add_argument("--production-steps", type=int, default=500_000)
    ap.add_argument("--frame-interval", type=int, default=10)
    ap.add_argument("--max-wall", type=float, default=float("inf"),
                    help="seconds: stop production early (everything is still written)")
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args(argv)
    if a.quick:
        a.equilibration_steps, a.iteration_steps, a.production_steps = 10, 40, 40
        a.frame_interval = 5
    a.out.mkdir(parents=True, exist_ok=True)
    tag = "plain" if a.plain else "sits"
    system, state = build(a.data)
    sits = None
    if not a.plain:
        sits = sponge.SITS(selection=None, t_low=273.0, t_high=650.0, n_temperatures=100,
                           spacing="T", mode="iteration", energy="selective", cross_factor=0.5,
                           update_interval=20, nk_restart_file=a.out / "nk_rest.txt",
                           nk_traj_file=a.out / "nk_traj.dat")
    integrator = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    sim = sponge.Simulation(system, integrator, state, seed=a.seed, bias=sits)
    sim.minimize(max_iterations=50 if a.quick else 500)
    sim.set_velocities_to_temperature(300.0, seed=a.seed)
    t0 = time.perf_counter()
    if sits is not None:
        sits.mode = "observation"
    sim.run(a.equilibration_steps)
    if sits is not None:
        sits.mode = "iteration"
    sim.run(a.iteration_steps)
    t_iter = time.perf_counter() - t0
    if sits is not None:
        sits.mode = "production"
    frames: dict[str, list] = {"phi": [], "psi": [], "bias": [], "E_s": []}
    t1 = time.perf_counter()
    done = 0
    while done < a.production_steps and time.perf_counter() - t0 < a.max_wall:
        sim.run(a.frame_interval)
        done += a.frame_interval
        pos = sim.state.positions
        frames["phi"].append(dihedral(pos, PHI))
        frames["psi"].append(dihedral(pos, PSI))
        cols = sits.report_columns() if sits is not None else {"bias": 0.0, "E_s": np.nan}
        frames["bias"].append(cols["bias"])
        frames["E_s"].append(cols["E_s"])
    t_prod = time.perf_counter() - t1
    arr = {k: np.asarray(v) for k, v in frames.items()}
    np.savez(a.out / f"frames_{tag}.npz", **arr)
    steps = a.equilibration_steps + a.iteration_steps + done
    summary = {
        "mode": tag, "iteration_steps": a.iteration_steps, "production_steps": done,
        "wall_s": time.perf_counter() - t0, "iteration_wall_s": t_iter,
        "production_wall_s": t_prod,
        "ns_per_day": steps * 0.002e-3 / max(time.perf_counter() - t0, 1e-9) * 86400.0,
        "phi_positive_fraction_unweighted": float(np.mean(arr["phi"] > 0)),
        "phi_positive_visits": count_visits(arr["phi"]),
    }
    if sits is not None:
        w = sponge.analysis.reweight(arr["bias"], 300.0)
        summary["phi_positive_fraction_reweighted"] = float(np.sum(w[arr["phi"] > 0]))
        summary["sits_updates"] = sits.n_updates
        summary["production_populations_minmax"] = [float(np.nanmin(sits.populations)),
                                                     float(np.nanmax(sits.populations))]
        summary["effective_samples"] = float(1.0 / np.sum(w * w))
        ref_path = a.data / "phi_psi_ref.npy"
        if ref_path.exists():
            res = compare(arr["phi"], arr["psi"], w, np.load(ref_path))
            plot(res, a.out / f"fes_{tag}.png")
            summary.update({k: v for k, v in res.items() if not k.startswith("fes")})
    (a.out / f"summary_{tag}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
