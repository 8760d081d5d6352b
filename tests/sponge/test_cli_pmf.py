"""``sponge pmf``: CSV in, PMF CSV + PNG out, reweighted with a bias column."""

from __future__ import annotations

import numpy as np

from sponge.cli import main
from sponge.quantities import BOLTZ

T = 300.0
KT = BOLTZ * T


def _write(path, cols: dict):
    names = list(cols)
    data = np.column_stack([cols[n] for n in names])
    np.savetxt(path, data, delimiter=",", header=",".join(names), comments="", fmt="%.10g")


def test_pmf_1d_reweighted_from_csv(tmp_path, capsys):
    rng = np.random.default_rng(8)
    x = rng.uniform(-1, 1, 200_000)                       # flat samples of U + V
    u = 4.0 * KT * (x**2 - 0.25) ** 2 / 0.0625            # 4 kT double well
    _write(tmp_path / "cv.csv", {"step": np.arange(x.size), "x": x, "rbias": -u})
    out = tmp_path / "out" / "fes"
    rc = main(["pmf", str(tmp_path / "cv.csv"), "--cv", "x", "--bias", "rbias",
               "--bins", "40", "--range", "-1", "1", "--units", "kBT", "--output", str(out)])
    assert rc == 0
    assert '"png"' in capsys.readouterr().out
    assert (tmp_path / "out" / "fes.png").read_bytes()[:4] == b"\x89PNG"
    table = np.loadtxt(tmp_path / "out" / "fes.csv", delimiter=",", skiprows=1)
    assert table.shape == (40, 4)
    c, f = table[:, 0], table[:, 1]
    h = (c[1] - c[0]) / 2
    fine = np.linspace(-h, h, 41)[None, :] + c[:, None]   # bin-averaged exact PMF
    ref = -np.log(np.mean(np.exp(-4.0 * (fine**2 - 0.25) ** 2 / 0.0625), axis=1))
    ok = ref < 5
    d = f[ok] - ref[ok]
    assert np.abs(d - d.mean()).max() < 0.15


def test_pmf_2d_periodic_plain_samples(tmp_path):
    rng = np.random.default_rng(9)
    phi = rng.vonmises(-2.0, 1.5, 50_000)
    psi = rng.vonmises(2.5, 1.0, 50_000) + 2 * np.pi       # out of range: must be wrapped
    _write(tmp_path / "cv.csv", {"phi": phi, "psi": psi})
    rc = main(["pmf", str(tmp_path / "cv.csv"), "--cv", "phi", "psi", "--periodic",
               "--bins", "24", "--units", "kcal/mol", "--output", str(tmp_path / "fes2")])
    assert rc == 0
    table = np.loadtxt(tmp_path / "fes2.csv", delimiter=",", skiprows=1)
    assert table.shape == (24 * 24, 5)
    best = table[np.nanargmin(table[:, 2])]
    assert abs(best[0] + 2.0) < 0.4 and abs(best[1] - 2.5) < 0.5
    assert (tmp_path / "fes2.png").exists()


def test_missing_column_is_an_error_naming_it(tmp_path, capsys):
    _write(tmp_path / "cv.csv", {"x": np.arange(5.0)})
    rc = main(["pmf", str(tmp_path / "cv.csv"), "--cv", "y", "--output", str(tmp_path / "o")])
    assert rc == 2
    assert "no column 'y'" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("x,bias\n0.1,0\n0.2,zz\n")
    rc = main(["pmf", str(tmp_path / "bad.csv"), "--cv", "x", "--bias", "bias"])
    assert rc == 2
    assert "bad.csv:3" in capsys.readouterr().err


def test_sponge_run_with_metadynamics_then_sponge_pmf(tmp_path):
    """`sponge run` with a [metadynamics] table on alanine dipeptide, then `sponge pmf`."""
    from pathlib import Path


    ala2 = Path(__file__).resolve().parents[2] / "sponge" / "data"
    cfg = tmp_path / "md.toml"
    cfg.write_text(f"""
[system]
parm7 = "{ala2 / 'ala2_vacuum.parm7'}"
rst7 = "{ala2 / 'ala2_vacuum.rst7'}"
nonbonded = "NoCutoff"
constraints = "HBonds"

[integrator]
type = "LangevinMiddle"
timestep = 0.002
temperature = 300.0

[run]
steps = 200
seed = 3
minimize = false
initial_temperature = 300.0

[output]
directory = "out"

[metadynamics]
cvs = [{{ type = "dihedral", atoms = [4, 6, 8, 14], name = "phi" }},
       {{ type = "dihedral", atoms = [6, 8, 14, 16], name = "psi" }}]
height = 1.2
sigma = [0.35, 0.35]
bias_factor = 6.0
pace = 20
hills_file = "HILLS"
grid_file = "grid.dat"
cv_file = "cv.csv"
cv_interval = 10
""")
    assert main(["run", str(cfg)]) == 0
    out = tmp_path / "out"
    hills = np.loadtxt(out / "HILLS", comments="#")
    assert hills.shape == (10, 7)
    cv = np.genfromtxt(out / "cv.csv", delimiter=",", names=True)
    assert len(cv) == 20 and {"phi", "psi", "bias", "rbias", "ct"} <= set(cv.dtype.names)
    assert np.all(np.abs(cv["phi"]) <= np.pi)
    assert (out / "grid.dat").exists()
    assert main(["pmf", str(out / "cv.csv"), "--cv", "phi", "psi", "--bias", "rbias",
                 "--periodic", "--bins", "12", "--output", str(out / "fes")]) == 0
    assert (out / "fes.png").exists() and (out / "fes.csv").exists()


def test_metadynamics_table_errors_name_the_key():
    from pathlib import Path

    import pytest

    from sponge.config import ConfigError, parse_config

    ala2 = Path(__file__).resolve().parents[2] / "sponge" / "data"
    base = {"system": {"parm7": str(ala2 / "ala2_vacuum.parm7"),
                       "rst7": str(ala2 / "ala2_vacuum.rst7")},
            "integrator": {"type": "LangevinMiddle", "timestep": 0.002, "temperature": 300.0},
            "run": {"steps": 1}}
    from sponge.metad_config import parse_metadynamics

    with pytest.raises(ConfigError, match=r"\[metadynamics\].hieght: unknown key"):
        parse_metadynamics({"cvs": [], "hieght": 1.0}, ConfigError)
    with pytest.raises(ConfigError, match=r"\[metadynamics\].cvs\[0\].atoms"):
        parse_metadynamics({"cvs": [{"type": "dihedral", "atoms": [1, 2]}], "height": 1.0,
                            "sigma": 0.3}, ConfigError)
    with pytest.raises(ConfigError, match=r"\[metadynamics\].sigma: required"):
        parse_metadynamics({"cvs": [{"type": "distance", "atoms": [1, 2]}], "height": 1.0},
                           ConfigError)
    assert parse_config(base, "x.toml").metadynamics is None
    with pytest.raises(ConfigError, match=r"\[metadynamics\].cvs: expected a list"):
        parse_config({**base, "metadynamics": {"cvs": "phi"}}, "x.toml")
