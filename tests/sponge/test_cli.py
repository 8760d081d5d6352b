"""Command line: config validation messages, `sponge info`, `sponge run`, `sponge demo`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sponge.cli import describe, main
from sponge.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
ALA2 = ROOT / "sponge" / "data"

GOOD = {
    "system": {"parm7": str(ALA2 / "ala2_vacuum.parm7"), "rst7": str(ALA2 / "ala2_vacuum.rst7"),
               "nonbonded": "NoCutoff", "constraints": "HBonds"},
    "integrator": {"type": "LangevinMiddle", "timestep": 0.002, "temperature": 300.0},
    "run": {"steps": 10, "seed": 1},
}


def _with(section: str, key: str, value):
    import copy

    doc = copy.deepcopy(GOOD)
    doc.setdefault(section, {})[key] = value
    return doc


@pytest.mark.parametrize("section,key,value,message", [
    ("integrator", "timestep", "abc",
     "[integrator].timestep: expected a positive number in ps, got 'abc'"),
    ("integrator", "timestep", -0.001,
     "[integrator].timestep: expected a positive number in ps, got -0.001"),
    ("integrator", "temperature", "300K",
     "[integrator].temperature: expected a positive number in K, got '300K'"),
    ("integrator", "type", "Leapfrog", "[integrator].type: expected one of 'LangevinMiddle'"),
    ("integrator", "timstep", 0.002, "[integrator].timstep: unknown key"),
    ("run", "steps", 1.5, "[run].steps: expected an integer >= 0, got 1.5"),
    ("run", "platform", "gpu", "[run].platform: expected one of 'cpu', 'cuda', got 'gpu'"),
    ("system", "cutoff", 0, "[system].cutoff: expected a positive number in nm, got 0"),
    ("system", "constraints", "hbonds", "[system].constraints: expected one of"),
    ("output", "dcd", {"file": "t.dcd", "interval": 0},
     "[output.dcd].interval: expected an integer >= 1, got 0"),
    ("output", "dcd", "t.dcd", "[output].dcd: expected a table"),
    ("barostat", "pressure", "high", "[barostat].pressure: expected a number in bar, got 'high'"),
])
def test_config_errors_name_the_key(section, key, value, message):
    with pytest.raises(ConfigError) as info:
        parse_config(_with(section, key, value), "x.toml")
    assert message in str(info.value)


def test_config_structure_errors(tmp_path):
    import copy

    doc = copy.deepcopy(GOOD)
    del doc["integrator"]
    with pytest.raises(ConfigError, match=r"\[integrator\]: required section is missing"):
        parse_config(doc)
    doc = _with("system", "pdb", "x.pdb")
    with pytest.raises(ConfigError, match=r"\[system\]: expected exactly one input"):
        parse_config(doc)
    with pytest.raises(ConfigError, match=r"\[system\].rst7: file .* does not exist"):
        parse_config(_with("system", "rst7", "missing.rst7"), tmp_path / "c.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nsteps = = 3\n")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML.*line 2"):
        load_config(bad)


@pytest.mark.parametrize("integrator,cls", [
    ({"type": "LangevinMiddle", "timestep": 0.002, "temperature": 310.0, "friction": 2.0},
     "LangevinMiddleIntegrator"),
    ({"type": "VelocityVerlet", "timestep": 0.001}, "VelocityVerletIntegrator"),
    ({"type": "Bussi", "timestep": 0.002, "temperature": 310.0, "tau": 0.5},
     "BussiThermostatIntegrator"),
    ({"type": "NoseHooverChain", "timestep": 0.002, "temperature": 310.0,
      "collision_frequency": 2.0, "chain_length": 4}, "NoseHooverChainIntegrator"),
])
def test_every_integrator_type_builds(integrator, cls):
    from sponge.cli import build_barostat, build_integrator

    integ = build_integrator(parse_config(dict(GOOD, integrator=integrator)).integrator)
    assert type(integ).__name__ == cls and integ.timestep == integrator["timestep"]
    doc = dict(GOOD, integrator=integrator, barostat={"pressure": 1.0, "frequency": 10})
    if "temperature" in integrator:
        assert integ.temperature == 310.0
        baro = build_barostat(parse_config(doc).barostat)
        assert baro.frequency == 10 and baro.temperature == 310.0
    else:
        with pytest.raises(ConfigError, match=r"\[barostat\].temperature"):
            parse_config(doc)


def test_main_prints_one_line_error_and_exit_status(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[system]\nparm7 = "x"\n')
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sponge: error: ") and "c.toml" in err and "[system].parm7" in err


def test_info_amber_matches_openmm_and_json(capsys):
    from openmm import app

    parm7 = DATA / "ala2" / "alanine_dipeptide_tip4pew" / "system.parm7"
    info = describe(parm7)
    top = app.AmberPrmtopFile(str(parm7)).topology
    assert info["atoms"] == top.getNumAtoms() == 2398
    assert info["residues"] == top.getNumResidues()
    assert info["virtual_sites"] == 594 and info["residue_names"]["HOH"] == 594
    box = np.array(info["box_nm"])
    ref = np.array(top.getPeriodicBoxVectors().value_in_unit(top.getPeriodicBoxVectors().unit))
    np.testing.assert_allclose(box, ref, rtol=1e-12)
    assert any("NonbondedTerm" in f for f in info["forces"])
    assert main(["info", str(parm7), "--json"]) == 0
    assert '"atoms": 2398' in capsys.readouterr().out


def test_info_pdb_native_and_missing(capsys):
    import os

    import openmm.app

    pdb = os.path.join(os.path.dirname(openmm.app.__file__), "data", "test.pdb")
    assert main(["info", pdb]) == 0
    out = capsys.readouterr().out
    assert "8867" in out and "HOH x2761" in out and "HarmonicBondTerm" in out
    info = describe(DATA / "ala2_sits_tip3p" / "ALA")
    assert info["atoms"] == 1840 and info["residues"] == 609
    assert main(["info", "/nonexistent/x.pdb"]) == 2
    assert "x.pdb" in capsys.readouterr().err


def test_run_then_restart_from_config(tmp_path):
    import mdtraj

    cfg = tmp_path / "md.toml"
    base = f"""
[system]
parm7 = "{ALA2 / 'ala2_vacuum.parm7'}"
rst7 = "{ALA2 / 'ala2_vacuum.rst7'}"
nonbonded = "NoCutoff"
constraints = "HBonds"

[integrator]
type = "LangevinMiddle"
timestep = 0.002
temperature = 300.0

[run]
steps = 40
seed = 7
minimize = false
initial_temperature = 300.0
{{restart}}

[output]
directory = "out"
state_data = {{ file = "state.csv", interval = 10, volume = false }}
dcd = {{ file = "traj.dcd", interval = 10 }}
checkpoint = {{ file = "run.chk", interval = 20 }}
final_pdb = "final.pdb"
"""
    cfg.write_text(base.replace("{restart}", ""))
    assert main(["run", str(cfg)]) == 0
    out = tmp_path / "out"
    assert (out / "final.pdb").exists()
    cfg.write_text(base.replace("{restart}", 'restart = "out/run.chk"'))
    assert main(["run", str(cfg), "--steps", "20"]) == 0
    lines = (out / "state.csv").read_text().splitlines()
    assert [int(x.split(",")[0]) for x in lines[1:]] == [10, 20, 30, 40, 50, 60]
    t = mdtraj.load(str(out / "traj.dcd"), top=str(out / "final.pdb"))
    assert t.n_frames == 6
    final = mdtraj.load(str(out / "final.pdb"))
    np.testing.assert_allclose(t.xyz[-1], final.xyz[0], atol=1e-4)


def test_python_dash_m_sponge_help():
    r = subprocess.run([sys.executable, "-m", "sponge", "--help"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "run" in r.stdout and "demo" in r.stdout


def test_demo_short_run_writes_outputs_and_plot(tmp_path):
    from sponge.demo import read_state_csv

    assert main(["demo", "--output", str(tmp_path / "d"), "--steps", "1200"]) == 0
    d = tmp_path / "d"
    png = (d / "energy_temperature.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    csv = read_state_csv(d / "state.csv")
    assert len(csv["Step"]) == 1 and csv["Step"][-1] == 1000
    assert (d / "traj.dcd").exists() and (d / "run.chk").exists() and (d / "final.pdb").exists()
    assert load_config(d / "config.toml").steps == 1200


@pytest.mark.slow
def test_full_demo_samples_300_kelvin(tmp_path):
    """The whole demo (500 ps): mean temperature within 4 standard errors of 300 K."""
    from sponge.demo import read_state_csv

    assert main(["demo", "--output", str(tmp_path / "d")]) == 0
    temp = read_state_csv(tmp_path / "d" / "state.csv")["Temperature (K)"][25:]
    blocks = temp[: len(temp) // 10 * 10].reshape(10, -1).mean(axis=1)
    err = blocks.std(ddof=1) / np.sqrt(len(blocks))
    print(f"demo: <T> = {temp.mean():.2f} K +- {err:.2f} (block error), {len(temp)} samples")
    assert abs(temp.mean() - 300.0) < 4 * err + 1.0
