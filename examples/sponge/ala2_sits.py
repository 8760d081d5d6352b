"""Alanine dipeptide in TIP3P water with SITS: the phi/psi free-energy surface at 300 K.

Physics: the SPONGE 2 SITS benchmark (``shared/data/ala2_sits_tip3p``: 22
solute atoms + 606 TIP3P waters, PME, 0.8 nm cutoff, bonds to hydrogen and
water rigid, middle-scheme Langevin 300 K, 1/ps, 2 fs). SITS enhances
``E_s = U_PP + 0.5 U_PW`` of the solute over 100 temperatures 273-650 K, with
the solute pairs' full Coulomb energy in E_s (``--direct-coulomb``: only its
PME real-space part, as SPONGE). The n_k start from a heat-capacity guess
made from the equilibration's E_s and are iterated (update every 20 steps),
then fixed for production, whose
frames are reweighted with ``exp(+beta_0 * bias)`` to the canonical phi/psi
free energy and compared with the brute-force reference ``phi_psi_ref.npy``
(250,000 samples of plain MD at 300 K). ``--plain`` runs unbiased MD of the
same length instead, to count how often each visits alpha_L / C7ax (0 < phi < 120 deg).

Run time: ``--quick`` (CI) takes seconds. The default settings (2 ns of
iteration + 10 ns of production) run at 19-33 ns/day on one thread, i.e.
9-16 hours; the published benchmark uses 2 ns + 40 ns. ``--max-wall`` and
``--max-steps`` stop a call early (checkpointed, everything written) and
``--resume`` continues it. What ran so far: ``docs/validation/ala2_sits.md``.

Outputs in ``--out``: ``frames_<tag>.npz`` (phi, psi, bias, E_s per frame),
``nk_traj.dat`` and ``nk_rest.txt`` (SITS), ``summary_<tag>.json`` and, for
SITS, ``fes_<tag>.png`` (reweighted FES next to the reference);
``state_<tag>.chk`` and ``progress_<tag>.json`` (checkpoint: ``--resume``
continues a stopped run bit for bit). ``--analyse FIG.png`` makes the
validation figure from the SITS and plain runs in ``--out`` without any MD.
``--archive DIR`` copies a run's resumable state compactly (a few MB per ns)
into ``DIR``, so that runs longer than one working session can be kept with
their record and continued later: copy the archive to a work folder and
``--resume`` there.

    python examples/sponge/ala2_sits.py --quick
    python examples/sponge/ala2_sits.py --out run --iteration-steps 250000 --nk-memory 2500 \
        --max-wall 7800            # then the same with --resume, as often as needed
    python examples/sponge/ala2_sits.py --out run2 --nk-in run/nk_rest.txt --iteration-steps 0 \
        --seed 2 --max-wall 7800   # another production walker on run's n_k
    python examples/sponge/ala2_sits.py --out run --analyse ala2_sits.png [--also run2 ...]
    python examples/sponge/ala2_sits.py --out run --archive kept/run   # keep it; later:
    cp -r kept/run run3 && python examples/sponge/ala2_sits.py --out run3 --resume ...

``--analyse`` compares the surfaces per 15 deg bin and per basin (alpha_R and
alpha_L against beta) with block-averaging error bars on both, and counts the
frames at the phi = 0 barrier top, whose ratio between runs estimates the gain
in crossing rate long before the alpha_L entries are numerous.
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


#: the alpha_L / C7ax region, phi in (0, 120) deg: the reference has 6.7 % of its
#: samples there; phi beyond 120 deg is the beta basin wrapping round +-180 deg
ALPHA_L = (0.0, np.radians(120.0))


def in_alpha_l(phi: np.ndarray) -> np.ndarray:
    """Mask of frames in the alpha_L / C7ax region (:data:`ALPHA_L`)."""
    phi = np.asarray(phi)
    return (phi > ALPHA_L[0]) & (phi < ALPHA_L[1])


def barrier_top_per_1e4(phi: np.ndarray) -> float:
    """Frames per 10,000 at the phi = 0 barrier top (|phi| < 20 deg), unweighted.

    A transition-state count: it converges long before the number of alpha_L
    entries does, and its ratio between two runs estimates the ratio of their
    crossing rates (the reference has 2.2, plain MD of 1.6 ns 1.35).
    """
    phi = np.asarray(phi)
    return float(1e4 * np.mean(np.abs(phi) < np.radians(20.0))) if phi.size else float("nan")


def committed_side(phi: np.ndarray) -> np.ndarray:
    """Per frame: +1 after reaching the alpha_L / C7ax core (30 < phi < 100 deg),
    -1 after reaching the beta / alpha_R cores (phi < -50 or phi > 150 deg, beta
    wrapping round +-180 deg), 0 before either; frames in between keep the side
    of the last core visited.

    A crossing that falls back before it reaches the other side's core is a
    recrossing of the barrier, not a transition (an excursion from alpha_L to
    phi = -25 deg and straight back changes nothing); crossings of +-180 deg
    within beta change nothing either.
    """
    d = np.degrees(np.asarray(phi, dtype=float))
    mark = np.where((d < -50.0) | (d > 150.0), -1, np.where((d > 30.0) & (d < 100.0), 1, 0))
    idx = np.where(mark != 0, np.arange(len(d)), -1)
    last = np.maximum.accumulate(idx) if len(d) else idx
    return np.where(last >= 0, mark[np.maximum(last, 0)], 0)


def count_visits(phi: np.ndarray) -> int:
    """Committed entries into alpha_L / C7ax: switches of :func:`committed_side`
    from -1 (beta / alpha_R) to +1 (alpha_L core)."""
    side = committed_side(phi)
    return int(np.sum((side[1:] == 1) & (side[:-1] == -1)))


#: basins of the phi/psi map, assigned in this order: alpha_L / C7ax
#: (:data:`ALPHA_L`), then alpha_R (-100 < psi < 30 deg), the rest is beta / PII
#: / C5. The boundaries follow the reference's density minima.
REGIONS = ("beta", "alpha_R", "alpha_L")


def region_of(phi: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Index into :data:`REGIONS` of each frame."""
    al = in_alpha_l(phi)
    ar = ~al & (psi > np.radians(-100.0)) & (psi < np.radians(30.0))
    return np.where(al, 2, np.where(ar, 1, 0))


def region_free_energies(phi, psi, weights, kt: float, n_blocks: int = 5) -> dict:
    """F(region) - F(beta) in units of ``kt`` with block-averaging standard errors.

    Returns ``{name: (dF, error)}`` for alpha_R and alpha_L; dF is inf where a
    region has no weight (error NaN).
    """
    lab = region_of(np.asarray(phi), np.asarray(psi))
    # the basins as three bins of a 1-D PMF: block errors of ln p come with it
    pmf = sponge.analysis.pmf_1d(lab, weights, bins=3, range=(-0.5, 2.5), units="kBT",
                                 n_blocks=n_blocks)
    f, e = pmf.free_energy, pmf.error
    out = {}
    with np.errstate(invalid="ignore"):
        for i, name in enumerate(REGIONS[1:], start=1):
            d = kt * (f[i] - f[0])
            out[name] = (float(d), float(kt * np.hypot(e[i], e[0])) if np.isfinite(d)
                         else float("nan"))
    return out


def compare(phi, psi, weights, ref: np.ndarray, bins: int = 24, cap: float = 4.0,
            n_blocks: int = 5) -> dict:
    """FES vs reference in kcal/mol over the reference's bins below ``cap`` kcal/mol.

    Both surfaces get block-averaging error bars (``n_blocks`` consecutive
    blocks each; the reference is time-ordered). Per bin ``d = F - F_ref``
    after aligning the surfaces by their Boltzmann-weighted mean difference;
    ``sigma = sqrt(err^2 + err_ref^2)``. ``frac_within_0p5_2sigma`` is the
    fraction of covered bins with ``|d| <= 0.5 + 2 sigma``: the 0.5 kcal/mol
    bar allowing for the statistical error of both surfaces (two independent
    halves of the reference itself have max |d| 2.0 and RMS 0.46 kcal/mol,
    and 99 % of bins pass this form). The basins' free energies relative to
    beta (:func:`region_free_energies`) are returned with their errors too.
    """
    kt = BOLTZ * 300.0 / KJ_PER_KCAL
    opts = dict(bins=bins, periodic=True, temperature=300.0, units="kcal/mol",
                n_blocks=n_blocks, names=("phi", "psi"))
    fp = sponge.analysis.pmf_2d(phi, psi, weights, **opts)
    rp = sponge.analysis.pmf_2d(ref[:, 0], ref[:, 1], None, **opts)
    f, fr = fp.free_energy.copy(), rp.free_energy.copy()
    f[~np.isfinite(f)], fr[~np.isfinite(fr)] = np.nan, np.nan
    region = np.isfinite(fr) & (fr < cap)
    both = region & np.isfinite(f)
    d = f[both] - fr[both]
    # align the two surfaces by their Boltzmann-weighted mean over the region
    wr = np.exp(-fr[both] / kt)
    d -= np.sum(wr * d) / np.sum(wr)
    sigma = np.hypot(np.nan_to_num(fp.error[both]), np.nan_to_num(rp.error[both]))
    diff = np.full(f.shape, np.nan)
    diff[both] = d
    out = {"bins": bins, "region_bins": int(region.sum()), "covered_bins": int(both.sum()),
           "max_abs_kcal": float(np.max(np.abs(d))) if d.size else None,
           "rms_kcal": float(np.sqrt(np.mean(d * d))) if d.size else None,
           "frac_within_0p5": float(np.mean(np.abs(d) <= 0.5)) if d.size else None,
           "frac_within_0p5_2sigma": float(np.mean(np.abs(d) <= 0.5 + 2.0 * sigma))
           if d.size else None,
           "median_sigma_kcal": float(np.median(sigma)) if d.size else None,
           "fes": f, "fes_ref": fr, "fes_diff": diff}
    mine = region_free_energies(phi, psi, weights, kt, n_blocks)
    theirs = region_free_energies(ref[:, 0], ref[:, 1], None, kt, n_blocks)
    out["regions_kcal"] = {k: {"sits": mine[k], "reference": theirs[k]} for k in mine}
    return out


def _draw_surfaces(axes, result: dict, title: str) -> None:
    """FES, reference FES and their difference on three axes."""
    ext = [-180, 180, -180, 180]
    im = None
    for ax, key, name in ((axes[0], "fes", title),
                          (axes[1], "fes_ref", "plain MD reference (phi_psi_ref.npy)")):
        im = ax.imshow(np.minimum(result[key].T, 8.0), origin="lower", extent=ext,
                       cmap="viridis", vmin=0, vmax=8)
        ax.set_title(name, fontsize=10)
    ax = axes[2]
    dm = ax.imshow(result["fes_diff"].T, origin="lower", extent=ext, cmap="RdBu_r",
                   vmin=-2, vmax=2)
    ax.set_facecolor("0.85")
    ax.set_title(f"difference (bins < 4 kcal/mol): RMS {result['rms_kcal']:.2f}, "
                 f"{100 * result['frac_within_0p5_2sigma']:.0f} % within 0.5 + 2 sigma",
                 fontsize=8)
    for ax in axes:
        ax.set_xlabel("phi (deg)")
        ax.set_ylabel("psi (deg)")
    plt = _pyplot()
    plt.colorbar(im, ax=list(axes[:2]), label="free energy (kcal/mol)", shrink=0.9)
    plt.colorbar(dm, ax=axes[2], label="SITS - reference (kcal/mol)", shrink=0.9)


def _pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot(result: dict, path: Path) -> None:
    """Reweighted FES, reference and difference side by side."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    _draw_surfaces(axes, result, "SITS, reweighted to 300 K")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _draw_regions(ax, regions: dict) -> None:
    """Basin free energies relative to beta, SITS against the reference, with errors."""
    names = list(regions)
    x = np.arange(len(names))
    for dx, who, c in ((-0.17, "sits", "C0"), (0.17, "reference", "0.4")):
        val = np.array([regions[n][who][0] for n in names])
        err = np.array([regions[n][who][1] for n in names])
        ok = np.isfinite(val)
        ax.bar(x[ok] + dx, val[ok], 0.34, yerr=np.nan_to_num(err[ok]), color=c, capsize=4,
               label="SITS (reweighted)" if who == "sits" else "reference")
    ax.set_xticks(x, [f"{n} - beta" for n in names])
    ax.set_ylabel("free energy (kcal/mol)")
    ax.set_title("basins, block-averaging errors", fontsize=10)
    ax.legend(fontsize=8)


def _load(path: Path) -> dict:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def _side_times(step: np.ndarray, phi: np.ndarray, dt_ps: float = 0.002) -> list[float]:
    """ns on the beta / alpha_R side and on the alpha_L side (:func:`committed_side`)."""
    if len(step) < 2:
        return [0.0, 0.0]
    per_frame = float(np.median(np.diff(step))) * dt_ps * 1e-3
    side = committed_side(phi)
    return [float(np.sum(side == -1) * per_frame), float(np.sum(side == 1) * per_frame)]


def _nk_traj_parts(out: Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A run's n_k trajectory rows ``(updates, 1 + K)`` (step, then ln n_k) in two parts.

    First the thinned ``nk_traj.dat.gz`` of an :func:`archive`, then the lines of
    ``nk_traj.dat`` written after it (a walker resumed from an archive during its
    iteration starts a new file); each None where absent or empty.
    """
    parts = []
    for name in ("nk_traj.dat.gz", "nk_traj.dat"):
        path = out / name
        rows = np.loadtxt(path, ndmin=2) if path.exists() and path.stat().st_size else None
        parts.append(rows if rows is not None and rows.size else None)
    archived, new = parts
    if archived is not None and new is not None:
        new = new[new[:, 0] > archived[-1, 0]]
    return archived, new


def _nk_traj(out: Path) -> np.ndarray | None:
    """A run's whole n_k trajectory (both :func:`_nk_traj_parts`), or None for a
    production walker started from ``--nk-in``."""
    parts = [p for p in _nk_traj_parts(out) if p is not None]
    return np.concatenate(parts) if parts else None


def archive(out: Path, dest: Path, nk_traj_every: int = 10) -> dict[str, int]:
    """Copy the resumable state of the runs in ``out`` into ``dest``, compactly.

    Long validation runs outlive a working session; an archive kept with the
    record lets a later session check the record's numbers (``--analyse`` reads
    an archive as it reads ``--out``) and continue the walkers: copy the archive
    to a work folder and ``--resume`` there with the run's own options. Kept:
    checkpoints, progress and summary files and ``nk_rest.txt`` as they are;
    frames with phi, psi, bias and E_s in float32 (compressed; ample for
    reweighting: the bias rounds at 1e-5 kJ/mol); every ``nk_traj_every``-th line
    of the n_k trajectory (and the last), gzipped, for the figure (an archive
    made again from a run resumed out of an archive keeps both parts).

    Returns:
        bytes written per file name.
    """
    import gzip
    import shutil

    if not any((out / f"state_{tag}.chk").exists() for tag in ("sits", "plain")):
        raise SystemExit(f"--archive: {out} holds no run (no state_sits.chk or "
                         "state_plain.chk); give the run's --out folder")
    dest.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for tag in ("sits", "plain"):
        if not (out / f"state_{tag}.chk").exists():
            continue
        for name in (f"state_{tag}.chk", f"progress_{tag}.json", f"summary_{tag}.json"):
            if (out / name).exists():
                shutil.copyfile(out / name, dest / name)
        run = _load(out / f"frames_{tag}.npz")
        np.savez_compressed(dest / f"frames_{tag}.npz", **{
            k: v.astype(np.float32) if v.dtype.kind == "f" else v for k, v in run.items()})
    if (out / "nk_rest.txt").exists():
        shutil.copyfile(out / "nk_rest.txt", dest / "nk_rest.txt")
    archived, new = _nk_traj_parts(out)
    if archived is not None or new is not None:
        # rows already thinned by an earlier archive stay; newer rows are thinned now
        rows = [archived] if archived is not None else []
        if new is not None and len(new):
            rows.append(new[np.union1d(np.arange(0, len(new), nk_traj_every), [len(new) - 1])])
        with gzip.open(dest / "nk_traj.dat.gz", "wt") as fh:
            np.savetxt(fh, np.concatenate(rows), fmt="%.10g", header="step  ln n_k (every "
                       f"{nk_traj_every}th update of the run, and its last)")
    for f in sorted(dest.iterdir()):
        sizes[f.name] = f.stat().st_size
    return sizes


def _nk_of(out: Path) -> tuple[float | None, np.ndarray] | None:
    """(energy shift, ``(K, 2)`` T_k and ln n_k) of a run's n_k file, or None."""
    path = out / "nk_rest.txt"
    if not path.exists():
        return None
    shift, rows = sponge.sits.read_nk_file(path)
    return shift, rows[:, :2]


def analyse(outs: list[Path], data: Path, path: Path, plain_out: Path | None = None,
            production_upto: int | None = None) -> dict:
    """Figure and numbers from SITS walkers and a plain run already on disk (no MD).

    Each folder in ``outs`` holds one SITS run. Walkers that share one set of
    n_k (production walkers started with ``--nk-in`` from the same file) sample
    one biased ensemble, so their frames are pooled exactly with
    ``exp(beta_0 bias)``; walkers with different n_k are reweighted separately
    and pooled with weights proportional to their effective sample sizes,
    which is only sound when they sampled the same regions. The plain run is read from ``plain_out``
    (default: the first folder). Top: the pooled reweighted free energy and the
    reference; bottom: phi along every run and ln n_k of the first walker.

    ``production_upto`` (steps) keeps only each walker's first that many
    production steps, so that a bar fixed in advance (say 10 ns pooled over two
    walkers) is judged on exactly that length however far the walkers ran on.
    """
    if production_upto is not None and production_upto <= 0:
        raise SystemExit(f"--production-upto must be positive, got {production_upto}")
    plt = _pyplot()
    walkers = []
    for out in outs:
        ends = json.loads((out / "progress_sits.json").read_text())["ends"]
        run = _load(out / "frames_sits.npz")
        prod = run["step"] > ends[1]
        if production_upto is not None:
            prod &= run["step"] <= ends[1] + production_upto
        if not prod.any():
            raise SystemExit(f"{out}: no production frames to analyse (the run is at step "
                             f"{int(run['step'][-1]) if run['step'].size else 0}, production "
                             f"starts after step {ends[1]})")
        w = sponge.analysis.reweight(run["bias"][prod], 300.0)
        walkers.append({"run": run, "ends": ends, "prod": prod, "w": w,
                        "ess": float(1.0 / np.sum(w * w)), "out": out, "nk": _nk_of(out)})
    plain_dir = outs[0] if plain_out is None else plain_out
    plain = _load(plain_dir / "frames_plain.npz") \
        if (plain_dir / "frames_plain.npz").exists() else None
    ess = np.array([wk["ess"] for wk in walkers])
    first = walkers[0]["nk"]
    shared = first is not None and all(
        wk["nk"] is not None and wk["nk"][0] == first[0] and np.array_equal(wk["nk"][1], first[1])
        for wk in walkers)
    if shared:
        # one biased ensemble sampled by every walker: exp(beta_0 bias) pools exactly
        w = sponge.analysis.reweight(np.concatenate([wk["run"]["bias"][wk["prod"]]
                                                     for wk in walkers]), 300.0)
    else:
        w = np.concatenate([wk["w"] * e for wk, e in zip(walkers, ess / ess.sum(),
                                                         strict=True)])
    phi = np.concatenate([wk["run"]["phi"][wk["prod"]] for wk in walkers])
    psi = np.concatenate([wk["run"]["psi"][wk["prod"]] for wk in walkers])
    res = compare(phi, psi, w, np.load(data / "phi_psi_ref.npy"))
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5), constrained_layout=True)
    _draw_surfaces(axes[0], res, "SITS production, reweighted to 300 K")
    _draw_regions(axes[1, 2], res["regions_kcal"])
    ax = axes[1, 0]
    runs = [(wk["run"], f"SITS {i + 1}", f"C{i}") for i, wk in enumerate(walkers)]
    if plain is not None:
        runs.append((plain, "plain MD", "k"))
    for run, label, c in runs:
        ax.plot(run["step"] * 0.002e-3, np.degrees(run["phi"]), ",", color=c, label=label)
    ax.axvline(walkers[0]["ends"][1] * 0.002e-3, color="k", lw=0.8, ls="--")
    ax.set_xlabel("time (ns); dashed: SITS 1 enters production")
    ax.set_ylabel("phi (deg)")
    ax.legend(markerscale=30, loc="lower right")
    ax = axes[1, 1]
    # the first walker that iterated (production walkers from --nk-in have no n_k trajectory)
    first_nk = next(((i, t) for i, out in enumerate(outs) if (t := _nk_traj(out)) is not None),
                    None)
    if first_nk is not None:
        nk = first_nk[1]
        temps = np.linspace(273.0, 650.0, nk.shape[1] - 1)
        for i in np.linspace(1, nk.shape[1] - 1, 8).astype(int):
            ax.plot(nk[:, 0] * 0.002e-3, nk[:, i], lw=0.8, label=f"{temps[i - 1]:.0f} K")
        ax.legend(fontsize=7, ncol=2)
    ax.set_xlabel("time (ns)")
    ax.set_ylabel(f"ln n_k (SITS {first_nk[0] + 1 if first_nk else '-'})")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    nums = {k: v for k, v in res.items() if not k.startswith("fes")}
    nums.update({
        "sits_walkers": len(walkers),
        "sits_steps": int(sum(wk["run"]["step"][wk["prod"]][-1] for wk in walkers)),
        "sits_production_steps": int(sum(wk["run"]["step"][wk["prod"]][-1] - wk["ends"][1]
                                         for wk in walkers)),
        "production_upto_steps": production_upto,
        "sits_production_frames": int(sum(wk["prod"].sum() for wk in walkers)),
        "sits_visits_production": int(sum(count_visits(wk["run"]["phi"][wk["prod"]])
                                          for wk in walkers)),
        "sits_barrier_top_per_1e4": [barrier_top_per_1e4(wk["run"]["phi"][wk["prod"]])
                                     for wk in walkers],
        "reference_barrier_top_per_1e4": barrier_top_per_1e4(
            np.load(data / "phi_psi_ref.npy")[:, 0]),
        "sits_visits_per_walker": [count_visits(wk["run"]["phi"][wk["prod"]])
                                   for wk in walkers],
        # ns spent on each side (committed_side) during production: entries per ns
        # on the beta side is the crossing rate, ns per entry on the alpha_L side
        # the residence time
        "sits_ns_beta_side_alpha_l_side": [_side_times(wk["run"]["step"][wk["prod"]],
                                                       wk["run"]["phi"][wk["prod"]])
                                           for wk in walkers],
        "effective_samples": float(1.0 / np.sum(w * w)) if shared else float(ess.sum()),
        "pooling": "shared n_k, exact" if shared else "by effective sample size",
        "alpha_l_fraction_reweighted": float(np.sum(w[in_alpha_l(phi)]) / np.sum(w)),
        "reference_alpha_l_fraction": float(np.mean(in_alpha_l(
            np.load(data / "phi_psi_ref.npy")[:, 0]))),
    })
    if plain is not None:
        ends = walkers[0]["ends"]
        same = plain["step"] > ends[1]      # the steps SITS 1 spent in production
        if production_upto is not None:
            same &= plain["step"] <= ends[1] + production_upto
        nums.update({"plain_steps": int(plain["step"][-1]),
                     "plain_visits_same_window": count_visits(plain["phi"][same]),
                     "plain_visits_after_equilibration":
                         count_visits(plain["phi"][plain["step"] > ends[0]]),
                     "plain_alpha_l_fraction": float(np.mean(in_alpha_l(plain["phi"][same]))),
                     "plain_ns_beta_side_alpha_l_side":
                         _side_times(plain["step"][plain["step"] > ends[0]],
                                     plain["phi"][plain["step"] > ends[0]]),
                     "plain_barrier_top_per_1e4":
                         barrier_top_per_1e4(plain["phi"][plain["step"] > ends[0]])})
    return nums


STAGES = ("equilibration", "iteration", "production")


def stage_of(step: int, ends: tuple[int, int, int]) -> int:
    """Index into :data:`STAGES` of the stage that step ``step`` (0-based, next to run) is in."""
    for i, end in enumerate(ends):
        if step < end:
            return i
    return len(ends)


def save_frames(path: Path, frames: dict[str, list]) -> None:
    """Write the frames so far atomically (``path`` never holds a half-written file)."""
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **{k: np.asarray(v) for k, v in frames.items()})
    tmp.replace(path)


def load_frames(path: Path, upto_step: int) -> dict[str, list]:
    """Frames of an earlier run up to (and including) ``upto_step``."""
    with np.load(path) as f:
        keep = f["step"] <= upto_step
        return {k: list(f[k][keep]) for k in f.files}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few steps (CI smoke run)")
    ap.add_argument("--plain", action="store_true", help="plain MD instead of SITS")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=Path("ala2_sits_out"))
    ap.add_argument("--equilibration-steps", type=int, default=5000)
    ap.add_argument("--iteration-steps", type=int, default=1_000_000)
    ap.add_argument("--production-steps", type=int, default=5_000_000)
    ap.add_argument("--frame-interval", type=int, default=10)
    ap.add_argument("--checkpoint-interval", type=int, default=25_000,
                    help="steps between checkpoints (state, n_k, frames so far)")
    ap.add_argument("--resume", action="store_true",
                    help="continue from the checkpoint in --out (same settings)")
    ap.add_argument("--nk-memory", type=float, default=None,
                    help="SITS memory in n_k updates (None: Gao's running average)")
    ap.add_argument("--max-wall", type=float, default=float("inf"),
                    help="seconds: stop early, checkpoint, and still write everything")
    ap.add_argument("--max-steps", type=int, default=None,
                    help="stop this call after this many steps (checkpointed; see --resume)")
    ap.add_argument("--direct-coulomb", action="store_true",
                    help="E_s with only the real-space part of the solute's PME Coulomb "
                         "(SPONGE's choice; default: the full Coulomb of solute pairs)")
    ap.add_argument("--hot-to-cold", type=float, default=1.0,
                    help="SITS target P_K / P_1 (1: flat populations)")
    ap.add_argument("--cross-factor", type=float, default=0.5,
                    help="SITS lambda in E_s = U_PP + lambda U_PW: the share of the "
                         "solute-water energy that is heated (Yang & Gao's 0.5; 1 heats all "
                         "of it)")
    ap.add_argument("--no-nk-guess", action="store_true",
                    help="start the iteration from equal n_k instead of the heat-capacity "
                         "guess from the equilibration's E_s")
    ap.add_argument("--nk-in", type=Path, default=None, metavar="FILE",
                    help="start from these n_k (another run's nk_rest.txt) instead of the "
                         "heat-capacity guess; with --iteration-steps 0 this is a production "
                         "walker of that run's biased ensemble (--analyse pools such walkers "
                         "exactly)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--also", type=Path, action="append", default=[], metavar="DIR",
                    help="with --analyse: another SITS walker's --out folder to pool")
    ap.add_argument("--plain-out", type=Path, default=None, metavar="DIR",
                    help="with --analyse: the plain run's folder (default: --out)")
    ap.add_argument("--analyse", type=Path, default=None, metavar="PNG",
                    help="no MD: write this figure and print the numbers of the runs in --out")
    ap.add_argument("--production-upto", type=int, default=None, metavar="STEPS",
                    help="with --analyse: only each walker's first STEPS production steps")
    ap.add_argument("--archive", type=Path, default=None, metavar="DIR",
                    help="no MD: copy the resumable state of the runs in --out into DIR, "
                         "compactly (see archive())")
    a = ap.parse_args(argv)
    if a.archive is not None:
        sizes = archive(a.out, a.archive)
        print(json.dumps(sizes, indent=1))
        return sizes
    if a.analyse is not None:
        nums = analyse([a.out, *a.also], a.data, a.analyse, a.plain_out, a.production_upto)
        print(json.dumps(nums, indent=1))
        return nums
    if a.quick:
        a.equilibration_steps, a.iteration_steps, a.production_steps = \
            10, 0 if a.nk_in is not None else 40, 40
        a.frame_interval, a.checkpoint_interval = 5, 30
    a.out.mkdir(parents=True, exist_ok=True)
    tag = "plain" if a.plain else "sits"
    chk = a.out / f"state_{tag}.chk"
    frames_path = a.out / f"frames_{tag}.npz"
    system, state = build(a.data)
    sits = None
    if not a.plain:
        sits = sponge.SITS(selection=None, t_low=273.0, t_high=650.0, n_temperatures=100,
                           spacing="T", mode="observation", energy="selective",
                           cross_factor=a.cross_factor, update_interval=20, memory=a.nk_memory,
                           complete_coulomb=not a.direct_coulomb, hot_to_cold=a.hot_to_cold,
                           nk_in_file=a.nk_in, nk_restart_file=a.out / "nk_rest.txt",
                           nk_traj_file=a.out / "nk_traj.dat")
        if a.nk_in is not None and not a.resume:
            sits.save_nk(a.out / "nk_rest.txt")    # the n_k this walker runs with
    integrator = sponge.LangevinMiddleIntegrator(300.0, 1.0, 0.002)
    sim = sponge.Simulation(system, integrator, state, seed=a.seed, bias=sits)
    ends = (a.equilibration_steps, a.equilibration_steps + a.iteration_steps,
            a.equilibration_steps + a.iteration_steps + a.production_steps)
    frames: dict[str, list] = {"step": [], "phi": [], "psi": [], "bias": [], "E_s": []}
    # what a resumed call must repeat (the seed only sets the first velocities)
    settings = {"frame_interval": a.frame_interval}
    if sits is not None:
        settings.update(hot_to_cold=a.hot_to_cold, cross_factor=a.cross_factor,
                        nk_memory=a.nk_memory, direct_coulomb=a.direct_coulomb)
    wall_before = 0.0
    progress_path = a.out / f"progress_{tag}.json"
    if a.resume and chk.exists():
        sim.load_checkpoint(chk)
        prev = json.loads(progress_path.read_text())
        if prev.get("ends") != list(ends):
            raise SystemExit(f"{progress_path}: the run in --out used stages {prev.get('ends')} "
                             f"(end steps); this call asks for {list(ends)}")
        for key, value in prev.get("settings", {}).items():  # runs written before have none
            if settings.get(key) != value:
                raise SystemExit(f"{progress_path}: the run in --out used {key} = {value}; "
                                 f"this call asks for {settings.get(key)}")
        wall_before = float(prev["wall_s"])
        if frames_path.exists():
            frames = load_frames(frames_path, sim.state.step)
        where = STAGES[min(stage_of(sim.state.step, ends), 2)]
        print(f"resumed {tag} at step {sim.state.step} ({where})")
    else:
        sim.minimize(max_iterations=50 if a.quick else 500)
        sim.set_velocities_to_temperature(300.0, seed=a.seed)
    first_step = sim.state.step
    t0 = time.perf_counter()

    def checkpoint() -> None:
        save_frames(frames_path, frames)
        sim.save_checkpoint(chk)
        progress_path.write_text(json.dumps({
            "step": sim.state.step, "ends": list(ends), "settings": settings,
            "wall_s": wall_before + time.perf_counter() - t0}))

    stop = ends[2] if a.max_steps is None else min(ends[2], first_step + a.max_steps)
    while sim.state.step < stop and time.perf_counter() - t0 < a.max_wall:
        step = sim.state.step
        stage = stage_of(step, ends)
        if sits is not None and sits.mode != STAGES[stage].replace("equilibration", "observation"):
            sits.mode = STAGES[stage].replace("equilibration", "observation")
            if (step == ends[0] and stage == 1 and not a.no_nk_guess and a.nk_in is None
                    and a.equilibration_steps):
                # the second half of the equilibration samples E_s at 300 K
                st = np.asarray(frames["step"])
                e_obs = np.asarray(frames["E_s"])[st > ends[0] // 2]
                if np.isfinite(e_obs).sum() >= 10:
                    sits.guess_nk(e_obs)
        n = min(a.frame_interval - step % a.frame_interval, ends[stage] - step, stop - step,
                a.checkpoint_interval - step % a.checkpoint_interval)
        sim.run(n)
        step = sim.state.step
        if step % a.frame_interval == 0:
            pos = sim.state.positions
            cols = sits.report_columns() if sits is not None else {"bias": 0.0, "E_s": np.nan}
            frames["step"].append(step)
            frames["phi"].append(dihedral(pos, PHI))
            frames["psi"].append(dihedral(pos, PSI))
            frames["bias"].append(cols["bias"])
            frames["E_s"].append(cols["E_s"])
        if step % a.checkpoint_interval == 0:
            checkpoint()
    checkpoint()
    wall = wall_before + time.perf_counter() - t0
    arr = {k: np.asarray(v) for k, v in frames.items()}
    prod = arr["step"] > ends[1]
    after_eq = arr["step"] > ends[0]
    steps_now = sim.state.step
    summary = {
        "mode": tag, "steps": steps_now, "stage_end_steps": list(ends),
        "iteration_steps_done": int(min(max(steps_now - ends[0], 0), a.iteration_steps)),
        "production_steps": int(max(steps_now - ends[1], 0)),
        "wall_s": wall,
        "ns_per_day_this_call": (steps_now - first_step) * 0.002e-3
        / max(time.perf_counter() - t0, 1e-9) * 86400.0,
        # visits over everything after equilibration (plain) or in production (SITS)
        "alpha_l_visits": count_visits(arr["phi"][prod if sits is not None else after_eq]),
        "alpha_l_visits_after_equilibration": count_visits(arr["phi"][after_eq]),
        "alpha_l_fraction_unweighted": float(np.mean(in_alpha_l(arr["phi"][after_eq])))
        if after_eq.any() else None,
    }
    if sits is not None and prod.any():
        w = sponge.analysis.reweight(arr["bias"][prod], 300.0)
        phi, psi = arr["phi"][prod], arr["psi"][prod]
        summary["alpha_l_fraction_reweighted"] = float(np.sum(w[in_alpha_l(phi)]))
        summary["sits_updates"] = sits.n_updates
        summary["effective_samples"] = float(1.0 / np.sum(w * w))
        summary["production_frames"] = int(prod.sum())
        ref_path = a.data / "phi_psi_ref.npy"
        if ref_path.exists():
            res = compare(phi, psi, w, np.load(ref_path))
            plot(res, a.out / f"fes_{tag}.png")
            summary.update({k: v for k, v in res.items() if not k.startswith("fes")})
    if sits is not None:
        summary["production_populations_minmax"] = [float(np.nanmin(sits.populations)),
                                                     float(np.nanmax(sits.populations))] \
            if sits.mode == "production" else None
    (a.out / f"summary_{tag}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
