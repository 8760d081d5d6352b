"""The alanine dipeptide / TIP3P SITS example (SPONGE 2's SITS benchmark input).

The quick run checks that the example runs end to end on the real input and
writes its outputs; the slow run is the validation of issue 6: SITS visits
phi > 0 many times where plain MD of the same length rarely does, and the
reweighted phi/psi free energy agrees with the brute-force reference
(``phi_psi_ref.npy``) within 0.5 kcal/mol below 4 kcal/mol.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "ala2_sits_tip3p"


def _example():
    if not (DATA / "ALA_coordinate.txt").exists():
        pytest.skip(f"{DATA} not present")
    spec = importlib.util.spec_from_file_location("ala2_sits",
                                                  ROOT / "examples" / "sponge" / "ala2_sits.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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
    assert mod.in_alpha_l(phi).sum() == 4


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


@pytest.mark.slow
def test_sits_samples_alpha_l_and_matches_the_reference_fes(tmp_path):
    mod = _example()
    args = ["--data", str(DATA), "--out", str(tmp_path), "--iteration-steps", "1000000",
            "--production-steps", "5000000"]
    sits = mod.main(args)
    plain = mod.main(args + ["--plain"])
    assert sits["alpha_l_visits"] >= 10
    assert plain["alpha_l_visits"] < sits["alpha_l_visits"] / 3
    assert sits["max_abs_kcal"] < 0.5
    assert sits["covered_bins"] >= 0.9 * sits["region_bins"]
