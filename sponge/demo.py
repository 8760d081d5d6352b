"""``sponge demo``: alanine dipeptide in vacuum, 300 K, 2 fs, 500 ps, with a plot.

Runs ``sponge/data/demo_ala2.toml`` (ACE-ALA-NME, Amber ff14SB, no cutoff,
bonds to hydrogen constrained, middle-scheme Langevin at 300 K with friction
1/ps, seed 2024): minimisation, Maxwell-Boltzmann velocities at 300 K, then
250,000 steps (500 ps), which takes about a minute on one CPU core.
Outputs in the chosen folder: ``state.csv`` (OpenMM StateDataReporter
columns), ``traj.dcd``, ``run.chk`` (checkpoint), ``final.pdb``,
``energy_temperature.png`` (energies and temperature against time) and the
``config.toml`` that was run (edit it and run it again with ``sponge run``).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

from sponge.config import load_config

DATA = Path(__file__).resolve().parent / "data"
DEMO_CONFIG = DATA / "demo_ala2.toml"


def read_state_csv(path: str | Path) -> dict[str, np.ndarray]:
    """Columns of a StateDataReporter CSV as arrays keyed by their titles."""
    lines = Path(path).read_text().splitlines()
    if not lines or not lines[0].startswith("#"):
        raise ValueError(f"{path}: not a StateDataReporter file (no '#' header line)")
    names = [h.strip('"') for h in lines[0][1:].split(",")]
    rows = [ln.split(",") for ln in lines[1:] if ln.strip()]
    out = {}
    for k, name in enumerate(names):
        try:
            out[name] = np.array([float(r[k]) for r in rows])
        except ValueError:
            out[name] = np.array([r[k] for r in rows])
    return out


def plot_energy_temperature(csv: str | Path, png: str | Path, title: str = "") -> Path:
    """Plot potential/kinetic/total energy and temperature against time (matplotlib PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = read_state_csv(csv)
    t = d["Time (ps)"]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    for key, label in (("Potential Energy (kJ/mole)", "potential"),
                       ("Kinetic Energy (kJ/mole)", "kinetic"),
                       ("Total Energy (kJ/mole)", "total")):
        if key in d:
            ax1.plot(t, d[key], label=label, lw=1)
    ax1.set_ylabel("energy (kJ/mol)")
    ax1.legend(loc="best", fontsize=8)
    if title:
        ax1.set_title(title)
    temp = d["Temperature (K)"]
    ax2.plot(t, temp, lw=1, color="tab:red", label="instantaneous")
    if len(temp) > 1:
        ax2.axhline(float(np.mean(temp[len(temp) // 5:])), color="k", ls="--", lw=1,
                    label=f"mean {np.mean(temp[len(temp) // 5:]):.1f} K")
    ax2.set_ylabel("temperature (K)")
    ax2.set_xlabel("time (ps)")
    ax2.legend(loc="best", fontsize=8)
    fig.tight_layout()
    png = Path(png)
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png


def run_demo(output: str | Path = "sponge_demo", steps: int | None = None, log=sys.stdout):
    """Run the built-in example into the folder ``output``.

    Args:
        output: output folder (created).
        steps: number of steps (default: the configuration's 250,000).
        log: stream for progress messages (None: silent).

    Returns:
        the finished :class:`sponge.Simulation`.
    """
    from sponge.cli import run_config

    out = Path(output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cfg = load_config(DEMO_CONFIG)
    reporters = [dataclasses.replace(r, file=out / r.file.name) for r in cfg.reporters]
    cfg = dataclasses.replace(cfg, output_dir=out, reporters=reporters,
                              final_pdb=out / cfg.final_pdb.name)
    text = DEMO_CONFIG.read_text()
    for name in ("ala2_vacuum.parm7", "ala2_vacuum.rst7"):
        text = text.replace(f'"{name}"', f'"{(DATA / name).as_posix()}"')
    text = text.replace('directory = "sponge_demo"', f'directory = "{out.as_posix()}"')
    if steps is not None:
        text = text.replace("steps = 250000", f"steps = {int(steps)}")
    (out / "config.toml").write_text(text)
    sim = run_config(cfg, steps=steps, log=log)
    png = plot_energy_temperature(out / "state.csv", out / "energy_temperature.png",
                                  title="sponge demo: alanine dipeptide, vacuum, 300 K")
    if log is not None:
        print(f"plot: {png}", file=log)
    return sim
