"""``sponge pmf``: free-energy surfaces from a CSV of CV samples and biases.

Reads a CSV with a header line (a :class:`sponge.CVReporter` file, or any
table of CV columns; lines starting with ``#`` other than a header are
skipped), takes one or two CV columns, reweights with a bias column through
:func:`sponge.analysis.reweight` (``rbias`` for metadynamics/MetaITS, ``bias``
for SITS; none for plain samples), and writes the PMF as CSV and PNG::

    sponge pmf cv.csv --cv phi psi --bias rbias --temperature 300 \\
        --bins 60 --periodic --units kcal/mol --skip 0.1 --output fes

writes ``fes.csv`` and ``fes.png``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np


def read_table(path: str | Path) -> dict[str, np.ndarray]:
    """Columns of a CSV with a header line, by name.

    Raises:
        FileNotFoundError: missing file.
        ValueError: no header, a ragged row or a non-numeric value (file and line named).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    header: list[str] | None = None
    rows: list[list[float]] = []
    with open(path, newline="") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row or not "".join(row).strip():
                continue
            if header is None:
                header = [c.strip().lstrip("#").strip().strip('"') for c in row]
                continue
            if row[0].lstrip().startswith("#"):
                continue
            if len(row) != len(header):
                raise ValueError(f"{path}:{lineno}: {len(row)} values for {len(header)} "
                                 f"columns {header}")
            try:
                rows.append([float(x) for x in row])
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: not a number in {row}") from exc
    if header is None or not rows:
        raise ValueError(f"{path}: no header line or no data rows")
    data = np.array(rows)
    return {name: data[:, k] for k, name in enumerate(header)}


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``pmf`` subcommand on an argparse subparsers object."""
    p = sub.add_parser("pmf", help="free-energy surface (CSV + PNG) from CV samples and biases")
    p.add_argument("csv", help="input CSV with a header (e.g. a CVReporter file)")
    p.add_argument("--cv", nargs="+", required=True, help="one or two CV column names")
    p.add_argument("--bias", default=None,
                   help="bias column (kJ/mol) to reweight with, e.g. rbias or bias; "
                        "omit for plain samples")
    p.add_argument("--temperature", type=float, default=300.0, help="K (default 300)")
    p.add_argument("--bins", type=int, nargs="+", default=[50], help="bins per CV")
    p.add_argument("--range", type=float, nargs="+", default=None,
                   help="low high [low2 high2] (default: data range, or -pi pi if periodic)")
    p.add_argument("--periodic", nargs="*", default=None,
                   help="periodic CV columns (flag alone: all CVs)")
    p.add_argument("--units", default="kJ/mol", choices=["kJ/mol", "kcal/mol", "kBT"])
    p.add_argument("--blocks", type=int, default=5, help="blocks for error bars")
    p.add_argument("--skip", type=float, default=0.0,
                   help="fraction of the first samples to discard (0-1)")
    p.add_argument("--output", default="pmf", help="output prefix (writes PREFIX.csv, .png)")
    return p


def run_pmf(args) -> dict:
    """Compute and write the PMF the parsed ``args`` describe; returns a summary."""
    from sponge.analysis import plot_pmf, pmf_1d, pmf_2d, reweight

    table = read_table(args.csv)
    names = list(args.cv)
    if len(names) not in (1, 2):
        raise ValueError(f"--cv: give one or two columns; got {names}")
    for n in names + ([args.bias] if args.bias else []):
        if n not in table:
            raise ValueError(f"{args.csv}: no column {n!r}; columns are {list(table)}")
    if not 0.0 <= args.skip < 1.0:
        raise ValueError(f"--skip must be in [0, 1); got {args.skip}")
    n_all = len(table[names[0]])
    start = int(args.skip * n_all)
    cols = [table[n][start:] for n in names]
    weights = reweight(table[args.bias][start:], args.temperature) if args.bias else None
    periodic = ([True] * len(names) if args.periodic is not None and not args.periodic
                else [args.periodic is not None and n in args.periodic for n in names])
    if args.periodic:
        for n in args.periodic:
            if n not in names:
                raise ValueError(f"--periodic: {n!r} is not one of the CVs {names}")
    bins = args.bins * len(names) if len(args.bins) == 1 else args.bins
    if len(bins) != len(names):
        raise ValueError(f"--bins: give 1 or {len(names)} values; got {args.bins}")
    rng = None
    if args.range is not None:
        if len(args.range) != 2 * len(names):
            raise ValueError(f"--range: give {2 * len(names)} numbers; got {args.range}")
        rng = [tuple(args.range[2 * k:2 * k + 2]) for k in range(len(names))]
    if len(names) == 1:
        res = pmf_1d(cols[0], weights, bins=bins[0], range=None if rng is None else rng[0],
                     periodic=periodic[0], temperature=args.temperature, units=args.units,
                     n_blocks=args.blocks, name=names[0])
    else:
        res = pmf_2d(cols[0], cols[1], weights, bins=tuple(bins), range=rng,
                     periodic=tuple(periodic), temperature=args.temperature, units=args.units,
                     n_blocks=args.blocks, names=tuple(names))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = out.with_suffix(".csv"), out.with_suffix(".png")
    res.to_csv(csv_path)
    plot_pmf(res, png_path, title=f"PMF of {', '.join(names)} at {args.temperature:g} K")
    return {"csv": str(csv_path), "png": str(png_path), "samples": res.n_samples,
            "cvs": names, "reweighted_with": args.bias, "units": args.units}
