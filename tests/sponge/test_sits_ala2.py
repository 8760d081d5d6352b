"""The alanine dipeptide / TIP3P SITS example (SPONGE 2's SITS benchmark input).

The quick run checks that the example runs end to end on the real input and
writes its outputs; the slow run is the validation of issue 6: SITS visits
phi > 0 many times where plain MD of the same length rarely does, and the
reweighted phi/psi free energy agrees with the brute-force reference
(``phi_psi_ref.npy``) within 0.5 kcal/mol below 4 kcal/mol, per bin and per
basin, allowing for the block-averaging error of both surfaces.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "ala2_sits_tip3p"


def _module():
    """The example as a module (its pure functions need no input data)."""
    spec = importlib.util.spec_from_file_location("ala2_sits",
                                                  ROOT / "examples" / "sponge" / "ala2_sits.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _example():
    if not (DATA / "ALA_coordinate.txt").exists():
        pytest.skip(f"{DATA} not present")
    return _module()


def test_dihedral_helper_matches_mdtraj():
    mod = _example()
    md = pytest.importorskip("mdtraj")
    x = np.random.default_rng(0).normal(size=(6, 4, 3))
    top = md.Topology()
    res = top.add_residue("X", top.add_chain())
    for _ in range(4):
        top.add_atom("C", md.element.carbon, res)
    ref = md.compute_dihedrals(md.Trajectory(x, top), [[0, 1, 2, 3]])[:, 0]
    got = [mod.dihedral(f, (0, 1, 2, 3)) for f in x]
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_visit_counter_counts_alpha_l_entries_not_the_beta_wrap():
    mod = _example()
    phi = np.radians([-70, -150, 175, 155, -170, -80, 60, 70, -60, 10, 40, -90, 130])
    assert mod.count_visits(phi) == 2
    # a fall-back to phi = -25 deg is a recrossing; beta -> alpha_L over phi = 120-180 counts
    assert mod.count_visits(np.radians([-70, 40, -25, 45, -60, 50])) == 2
    assert mod.count_visits(np.radians([170, 140, 90, 60])) == 1
    np.testing.assert_array_equal(mod.committed_side(np.radians([10, -70, -30, 40, 20, 120])),
                                  [0, -1, -1, 1, 1, 1])
    assert mod.in_alpha_l(phi).sum() == 4
    # 2 of 5 frames at |phi| < 20 deg; phi = +-180 (beta) is not the barrier top
    assert mod.barrier_top_per_1e4(np.radians([-10, 10, 175, -170, -60])) == 4000.0


def _basin_samples(rng, n_beta: int, n_ar: int, n_al: int) -> np.ndarray:
    """(phi, psi) in radians: Gaussian blobs in beta, alpha_R and alpha_L, interleaved."""
    centres = {0: (-80.0, 150.0), 1: (-70.0, -40.0), 2: (60.0, 40.0)}
    lab = np.repeat([0, 1, 2], [n_beta, n_ar, n_al])
    lab = lab[rng.permutation(len(lab))]
    xy = np.array([centres[k] for k in lab]) + rng.normal(scale=12.0, size=(len(lab), 2))
    return np.radians((xy + 180.0) % 360.0 - 180.0)


def test_basins_and_their_free_energies():
    mod = _module()
    phi = np.radians([-80, -70, 60, 150, -60, 100, -100])
    psi = np.radians([150, -40, 40, 170, 20, -150, -110])
    np.testing.assert_array_equal(mod.region_of(phi, psi), [0, 1, 2, 0, 1, 2, 0])
    # 6 of each label in every block: populations 3:2:1, no block-to-block spread
    lab = np.tile([0, 0, 0, 1, 1, 2], 10)
    centres = np.radians([[-80, 150], [-70, -40], [60, 40]])[lab]
    kt = 0.6
    got = mod.region_free_energies(centres[:, 0], centres[:, 1], None, kt, n_blocks=5)
    np.testing.assert_allclose(got["alpha_R"][0], -kt * np.log(2 / 3))
    np.testing.assert_allclose(got["alpha_L"][0], -kt * np.log(1 / 3))
    assert got["alpha_R"][1] == pytest.approx(0.0, abs=1e-12)
    # alpha_L frames weighted by e^{-1/kt}: its free energy rises by exactly 1
    w = np.where(lab == 2, np.exp(-1.0 / kt), 1.0)
    got = mod.region_free_energies(centres[:, 0], centres[:, 1], w, kt, n_blocks=5)
    np.testing.assert_allclose(got["alpha_L"][0], -kt * np.log(1 / 3) + 1.0)


def test_fes_comparison_passes_the_same_ensemble_and_catches_a_shifted_basin():
    mod = _module()
    rng = np.random.default_rng(7)
    ref = _basin_samples(rng, 60_000, 30_000, 10_000)
    same = _basin_samples(rng, 60_000, 30_000, 10_000)
    res = mod.compare(same[:, 0], same[:, 1], None, ref)
    assert res["covered_bins"] >= 0.9 * res["region_bins"] > 20
    assert res["rms_kcal"] < 0.3 and res["frac_within_0p5_2sigma"] > 0.95
    for name, v in res["regions_kcal"].items():
        assert abs(v["sits"][0] - v["reference"][0]) < 0.1, name
    # the same frames, with alpha_L reweighted 1.5 kcal/mol up
    kt = mod.BOLTZ * 300.0 / mod.KJ_PER_KCAL
    w = np.where(mod.in_alpha_l(same[:, 0]), np.exp(-1.5 / kt), 1.0)
    bad = mod.compare(same[:, 0], same[:, 1], w, ref)
    shift = bad["regions_kcal"]["alpha_L"]["sits"][0] - bad["regions_kcal"]["alpha_L"]["reference"][0]
    assert shift == pytest.approx(1.5, abs=0.1)
    d = bad["fes_diff"]
    assert np.nanmax(d) > 1.0 and bad["frac_within_0p5_2sigma"] < 0.9


def test_quick_example_runs_and_writes_its_outputs(tmp_path):
    mod = _example()
    summary = mod.main(["--quick", "--data", str(DATA), "--out", str(tmp_path)])
    assert summary["sits_updates"] >= 2
    assert (tmp_path / "frames_sits.npz").exists() and (tmp_path / "fes_sits.png").exists()
    rows = np.loadtxt(tmp_path / "nk_traj.dat")
    assert rows.shape[1] == 101
    saved = json.loads((tmp_path / "summary_sits.json").read_text())
    assert saved["production_steps"] == 40
    frames = np.load(tmp_path / "frames_sits.npz")
    assert np.all(np.isfinite(frames["bias"])) and np.all(np.abs(frames["phi"]) <= np.pi)
    mod.main(["--quick", "--plain", "--data", str(DATA), "--out", str(tmp_path)])
    nums = mod.main(["--quick", "--data", str(DATA), "--out", str(tmp_path),
                     "--analyse", str(tmp_path / "fig.png")])
    assert (tmp_path / "fig.png").stat().st_size > 10_000
    assert nums["sits_production_frames"] == 8 and nums["plain_steps"] == 90


def test_production_walkers_share_nk_and_pool_exactly(tmp_path):
    """--nk-in starts a production walker on another run's n_k; --analyse pools such
    walkers with one exp(beta_0 bias) weight set, and others by effective sample size."""
    mod = _example()
    common = ["--quick", "--data", str(DATA)]
    mod.main(common + ["--out", str(tmp_path / "a")])
    nk_a = tmp_path / "a" / "nk_rest.txt"
    mod.main(common + ["--out", str(tmp_path / "b"), "--seed", "5", "--nk-in", str(nk_a)])
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "b" / "nk_rest.txt"), np.loadtxt(nk_a))
    assert json.loads((tmp_path / "b" / "progress_sits.json").read_text())["ends"] == [10, 10, 50]
    assert not (tmp_path / "b" / "nk_traj.dat").exists()
    nums = mod.main(common + ["--out", str(tmp_path / "b"), "--also", str(tmp_path / "a"),
                              "--plain-out", str(tmp_path / "b"),
                              "--analyse", str(tmp_path / "ab.png")])
    assert nums["pooling"] == "shared n_k, exact"
    bias = []
    for d in ("b", "a"):
        f = np.load(tmp_path / d / "frames_sits.npz")
        ends = json.loads((tmp_path / d / "progress_sits.json").read_text())["ends"]
        bias.append(f["bias"][f["step"] > ends[1]])
    w = np.exp((np.concatenate(bias) - np.concatenate(bias).max()) / (mod.BOLTZ * 300.0))
    w /= w.sum()
    assert nums["effective_samples"] == pytest.approx(1.0 / np.sum(w * w), rel=1e-9)
    assert nums["sits_production_frames"] == 16
    # a second iteration walker has n_k of its own: pooled by effective sample size
    mod.main(common + ["--out", str(tmp_path / "c"), "--seed", "6"])
    nums = mod.main(common + ["--out", str(tmp_path / "a"), "--also", str(tmp_path / "c"),
                              "--analyse", str(tmp_path / "ac.png")])
    assert nums["pooling"] == "by effective sample size"


def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(tmp_path):
    """--max-steps stops mid-iteration; --resume continues bit for bit (state, n_k, frames)."""
    mod = _example()
    common = ["--quick", "--data", str(DATA)]
    whole = mod.main(common + ["--out", str(tmp_path / "a")])
    mod.main(common + ["--out", str(tmp_path / "b"), "--max-steps", "35"])
    part = json.loads((tmp_path / "b" / "progress_sits.json").read_text())
    assert part["step"] == 35
    resumed = mod.main(common + ["--out", str(tmp_path / "b"), "--resume"])
    assert resumed["steps"] == whole["steps"] == 90
    fa, fb = np.load(tmp_path / "a" / "frames_sits.npz"), np.load(tmp_path / "b" / "frames_sits.npz")
    for key in ("step", "phi", "psi", "bias"):
        np.testing.assert_array_equal(fa[key], fb[key])
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "a" / "nk_rest.txt"),
                                  np.loadtxt(tmp_path / "b" / "nk_rest.txt"))


def test_cross_factor_reaches_e_s_and_a_resume_must_repeat_the_settings(tmp_path):
    """--cross-factor is lambda in E_s = U_PP + lambda U_PW: the equilibration (no bias on
    the forces) follows the same path, with E_s shifted by the extra half of U_PW. A
    --resume with other SITS settings than the run's own is refused, naming the setting."""
    mod = _example()
    common = ["--quick", "--data", str(DATA), "--max-steps", "10"]
    mod.main(common + ["--out", str(tmp_path / "half")])
    mod.main(common + ["--out", str(tmp_path / "full"), "--cross-factor", "1.0"])
    half, full = (np.load(tmp_path / d / "frames_sits.npz") for d in ("half", "full"))
    np.testing.assert_array_equal(half["phi"], full["phi"])
    assert np.all(np.abs(full["E_s"] - half["E_s"]) > 1.0)          # kJ/mol
    progress = json.loads((tmp_path / "full" / "progress_sits.json").read_text())
    assert progress["settings"]["cross_factor"] == 1.0
    resume = ["--quick", "--data", str(DATA), "--out", str(tmp_path / "full"), "--resume"]
    with pytest.raises(SystemExit, match="cross_factor = 1.0; this call asks for 0.5"):
        mod.main(resume)
    with pytest.raises(SystemExit, match="hot_to_cold = 1.0; this call asks for 10.0"):
        mod.main(resume + ["--cross-factor", "1.0", "--hot-to-cold", "10"])
    assert mod.main(resume + ["--cross-factor", "1.0"])["steps"] == 90


def test_archived_run_resumes_and_analyses_like_the_original(tmp_path):
    """--archive keeps a stopped run compactly; a copy of the archive --resume'd
    continues the dynamics bit for bit, and --analyse reads the archive."""
    import shutil

    mod = _example()
    common = ["--quick", "--data", str(DATA)]
    mod.main(common + ["--out", str(tmp_path / "whole")])
    mod.main(common + ["--out", str(tmp_path / "part"), "--max-steps", "35"])
    sizes = mod.main(["--out", str(tmp_path / "part"), "--archive", str(tmp_path / "kept")])
    assert {"state_sits.chk", "progress_sits.json", "frames_sits.npz", "nk_rest.txt",
            "nk_traj.dat.gz"} <= set(sizes)
    kept = np.load(tmp_path / "kept" / "frames_sits.npz")
    assert kept["phi"].dtype == np.float32 and kept["step"][-1] == 35
    shutil.copytree(tmp_path / "kept", tmp_path / "again")
    resumed = mod.main(common + ["--out", str(tmp_path / "again"), "--resume"])
    assert resumed["steps"] == 90
    fa, fb = np.load(tmp_path / "whole" / "frames_sits.npz"), np.load(tmp_path / "again" /
                                                                      "frames_sits.npz")
    np.testing.assert_array_equal(fa["step"], fb["step"])
    after = fa["step"] > 35
    for key in ("phi", "psi", "bias"):
        np.testing.assert_array_equal(fa[key][after], fb[key][after])      # bit for bit
        np.testing.assert_allclose(fa[key][~after], fb[key][~after], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "whole" / "nk_rest.txt"),
                                  np.loadtxt(tmp_path / "again" / "nk_rest.txt"))
    # the thinned n_k trajectory keeps every 10th update and the last, across a resume
    rows = np.loadtxt(tmp_path / "whole" / "nk_traj.dat", ndmin=2)
    mod.main(["--out", str(tmp_path / "again"), "--archive", str(tmp_path / "kept2")])
    thin = np.loadtxt(tmp_path / "kept2" / "nk_traj.dat.gz", ndmin=2)
    np.testing.assert_allclose(mod._nk_traj(tmp_path / "again"), rows, rtol=1e-9)
    np.testing.assert_allclose(thin, rows[np.union1d(np.arange(0, len(rows), 10),
                                                     [len(rows) - 1])], rtol=1e-9)
    fake = tmp_path / "fake"
    fake.mkdir()
    np.savetxt(fake / "nk_traj.dat", np.c_[np.arange(25) * 20, np.ones((25, 3))], header="x")
    (fake / "state_sits.chk").write_bytes(b"")
    np.savez(fake / "frames_sits.npz", step=np.arange(3))
    mod.archive(fake, tmp_path / "fake_kept")
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "fake_kept" / "nk_traj.dat.gz")[:, 0],
                                  [0, 200, 400, 480])
    with pytest.raises(SystemExit, match="holds no run"):
        mod.main(["--out", str(tmp_path / "nothing"), "--archive", str(tmp_path / "x")])
    assert not (tmp_path / "x").exists()
    # archiving an archive again (a walker continued in production) thins nothing twice
    shutil.copytree(tmp_path / "fake_kept", tmp_path / "fake_again")
    mod.archive(tmp_path / "fake_again", tmp_path / "fake_kept2")
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "fake_kept2" / "nk_traj.dat.gz")[:, 0],
                                  [0, 200, 400, 480])
    nums = mod.main(["--data", str(DATA), "--out", str(tmp_path / "kept2"),
                     "--plain-out", str(tmp_path / "kept2"), "--analyse",
                     str(tmp_path / "kept2.png")])
    assert (tmp_path / "kept2.png").stat().st_size > 10_000
    assert nums["sits_walkers"] == 1 and nums["sits_production_frames"] == 8
    # a bar fixed in advance is judged on the first STEPS of production only
    analyse = ["--data", str(DATA), "--out", str(tmp_path / "kept2"), "--plain-out",
               str(tmp_path / "kept2"), "--analyse", str(tmp_path / "upto.png")]
    part = mod.main(analyse + ["--production-upto", "20"])
    assert part["sits_production_frames"] == 4 and part["sits_production_steps"] == 20
    assert part["production_upto_steps"] == 20 and nums["production_upto_steps"] is None
    with pytest.raises(SystemExit, match="must be positive"):
        mod.main(analyse + ["--production-upto", "0"])
    with pytest.raises(SystemExit, match="no production frames"):
        mod.main(["--data", str(DATA), "--out", str(tmp_path / "kept"), "--analyse",
                  str(tmp_path / "none.png")])      # stopped at step 35, in iteration


RUNS = ROOT / "docs" / "validation" / "ala2_sits_runs"


def test_archived_validation_walkers_give_the_recorded_numbers(tmp_path):
    """The walkers kept in ``docs/validation/ala2_sits_runs`` (see the record in
    ``docs/validation/ala2_sits.md``) still give the record's numbers: the data
    behind the record are checked, not only its prose. A session that extends the
    walkers updates both."""
    mod = _example()
    recorded = json.loads((RUNS / "recorded.json").read_text())
    outs = [RUNS / name for name in recorded["walkers"]]
    nums = mod.main(["--data", str(DATA), "--out", str(outs[0]),
                     *sum((["--also", str(o)] for o in outs[1:]), []),
                     "--plain-out", str(tmp_path), "--analyse", str(tmp_path / "runs.png")])
    assert nums["pooling"] == recorded["pooling"]
    assert nums["sits_production_steps"] == recorded["sits_production_steps"]
    assert nums["sits_visits_per_walker"] == recorded["sits_visits_per_walker"]
    assert nums["covered_bins"] == recorded["covered_bins"]
    for key in ("rms_kcal", "frac_within_0p5_2sigma", "median_sigma_kcal",
                "effective_samples", "alpha_l_fraction_reweighted"):
        assert nums[key] == pytest.approx(recorded[key], rel=1e-3, abs=1e-3), key


@pytest.mark.slow
def test_sits_samples_alpha_l_and_matches_the_reference_fes(tmp_path):
    """The settings of the runs in ``docs/validation/ala2_sits.md``: 0.2 ns of n_k
    iteration towards P_K/P_1 = 10 (memory 2,500 updates), then 10 ns of
    production; plain MD of the same steps runs alongside in a second process.
    About 9-10 hours on two cores (one thread each, 25-33 ns/day)."""
    import numba

    mod = _example()
    args = ["--data", str(DATA), "--out", str(tmp_path), "--iteration-steps", "100000",
            "--nk-memory", "2500", "--hot-to-cold", "10", "--production-steps", "5000000"]
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    plain_run = subprocess.Popen([sys.executable, str(ROOT / "examples" / "sponge" / "ala2_sits.py"),
                                  *args, "--plain"], env=env, stdout=subprocess.DEVNULL)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        sits = mod.main(args)
    finally:
        numba.set_num_threads(threads)
        rc = plain_run.wait()
    assert rc == 0, "the plain MD run failed"
    plain = json.loads((tmp_path / "summary_plain.json").read_text())
    assert sits["alpha_l_visits"] >= 10
    assert plain["alpha_l_visits"] < sits["alpha_l_visits"] / 3
    # "within 0.5 kcal/mol below 4 kcal/mol", allowing for the statistical error
    # of both surfaces: two independent 37 ns halves of the reference differ per
    # 15 deg bin by up to 2.0 kcal/mol (RMS 0.46), so a bare max < 0.5 would fail
    # brute force itself; 99 % of their bins pass |d| <= 0.5 + 2 sigma
    assert sits["covered_bins"] >= 0.9 * sits["region_bins"]
    assert sits["rms_kcal"] < 0.5
    assert sits["frac_within_0p5_2sigma"] >= 0.95
    assert sits["median_sigma_kcal"] < 0.3      # the error bars must not do the work
    for name, v in sits["regions_kcal"].items():
        (f, e), (fr, er) = v["sits"], v["reference"]
        assert abs(f - fr) <= 0.5 + 2.0 * np.hypot(e, er), (name, v)
