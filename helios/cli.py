"""The ``helios`` command line: the workflow's steps, one command each.

    helios build --stars FILE.csv[.gz] [--limit N] [--max-mag M] --output DIR
    helios build --synthetic N [--seed S] [--model disc|milky-way] --output DIR [--mpcorb MPCORB.DAT.gz|builtin]
    helios synthetic-mpcorb [--count N] [--seed S] --output FILE
    helios select --input DIR [--landmarks FILE] --neighbors N --output selection.json
    helios train-cell --cell CELL.parquet --output OUT.ply [--iterations N] [--backend auto|gsplat|torch] ...
    helios train-batch --cells CELL.parquet ... --output-dir DIR [training options]
    helios train-all --input DIR --output DIR [--cores N] [training options]
    helios train-landmarks --input DIR --output DIR [--landmarks FILE] --neighbors N [--cores N] [training options]
    helios pack DIR --output FILE [--dtype float32|float16]
    helios pack-info FILE
    helios levels-cell --cell CELL.parquet --output OUT [--iterations N] [--fractions F ...] ...
    helios validate DIR
    helios view DIR [--port P] [--no-browser]
    helios render DIR --from X Y Z|sun|LANDMARK --look-at X Y Z|LANDMARK --fov DEG --size W H --output FILE.npy|FILE.png

The commands call the same functions as the Snakemake rules; train-all and train-landmarks run the
workflow itself (through Snakemake's API) on a universe built before.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import helios
from helios import colour
from helios.build import build
from helios.catalog import DISTANCE_COLUMNS
from helios.errors import HeliosError
from helios.files import write_json
from helios.grid import FRAMES, POLAR_SPACINGS, Grid
from helios.ingest import PARALLAX_POLICIES, IngestOptions
from helios.inputs import expand_catalog_files
from helios.jobs import configure_logging, user_errors
from helios.landmarks import BUILTIN, CATEGORIES, find_landmark, load_landmarks
from helios.minor_planets import read_minor_planets_source, write_minor_planets
from helios.outputs import SOFTWARE, check_file_target
from helios.pack.shards import MINOR_PLANETS_FILE
from helios.partition import read_index
from helios.partition.plan import DEFAULT_SHARD_ROWS
from helios.selection import select_cells


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _refuse_users_files(*paths: str | Path) -> None:
    """Before the work starts: an output path holding a file HELIOS did not write is refused, not overwritten."""
    for path in paths:
        check_file_target(path)


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _add_build(commands: argparse._SubParsersAction) -> None:
    defaults, grid = IngestOptions(), Grid()
    parser = commands.add_parser(
        "build",
        help="ingest a catalogue (or a synthetic sky) and partition it into HLG cells",
        description="Ingest star catalogue CSV files (Gaia DR3 bulk or Archive layout, plain or gzipped) or a "
        "synthetic sky, and write DIR/ingest_summary.json, DIR/cells/SHARD/CELL.parquet and DIR/index.json (docs/cells.md).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stars", nargs="+", metavar="FILE", help="catalogue CSV(.gz) files or glob patterns (quote globs)")
    source.add_argument("--synthetic", type=_positive_int, metavar="N", help="generate a synthetic sky of N stars instead")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic sky (default: %(default)s)")
    parser.add_argument("--parts", type=_positive_int, default=1,
                        help="make the synthetic sky in N parts, as N files would be (default: %(default)s)")
    parser.add_argument("--model", choices=["disc", "milky-way"], default="disc",
                        help="synthetic sky: disc (a toy disc around the Sun, 1.5 kpc) or milky-way (thin and thick discs and a bulge "
                        "with a luminosity function, the whole Galaxy) (default: %(default)s)")
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="output directory: new, empty, or a universe HELIOS built before (replaced)")
    parser.add_argument("--force", action="store_true",
                        help="replace --output even when it is not a HELIOS universe (never a directory holding an input)")
    parser.add_argument("--mpcorb", metavar="FILE",
                        help="the solar system's minor planets too: the Minor Planet Center's MPCORB.DAT(.gz), or 'builtin' (the 29 "
                        "largest asteroids and dwarf planets); written to DIR/minor_planets.bin, which helios pack carries")
    parser.add_argument("--limit", type=_positive_int, metavar="N", help="keep only the N brightest stars in G across all files")
    parser.add_argument("--max-mag", type=float, metavar="M", help="keep only stars with G <= M")
    parser.add_argument(
        "--distance-source",
        default=defaults.distance_source,
        choices=("auto", "parallax") + DISTANCE_COLUMNS,
        help="where distances come from; auto uses parallax when present, else a distance column (default: %(default)s)",
    )
    parser.add_argument("--parallax-zero-point", type=float, default=defaults.parallax_zero_point_mas, metavar="MAS",
                        help="parallax zero-point subtracted from every parallax, mas; Gaia DR3: -0.017, Hipparcos: 0 (default: %(default)s)")
    parser.add_argument("--parallax-policy", default=defaults.parallax_policy, choices=PARALLAX_POLICIES,
                        help="low-quality parallaxes: edsd = Bailer-Jones 2015 mode distance, drop = drop the star (default: %(default)s)")
    parser.add_argument("--min-parallax-over-error", type=float, default=defaults.min_parallax_over_error, metavar="X",
                        help="parallax/error below X counts as low quality (default: %(default)s)")
    parser.add_argument("--edsd-length-scale", type=float, default=defaults.edsd_length_scale_pc, metavar="PC",
                        help="length scale L of the EDSD prior, pc (default: %(default)s)")
    parser.add_argument("--colour-relation", default=defaults.colour_relation, choices=colour.RELATIONS,
                        help="BP-RP to temperature relation (default: %(default)s)")
    parser.add_argument("--ref-epoch", type=float, default=defaults.ref_epoch, metavar="YEAR",
                        help="epoch of the catalogue's positions for files without a ref_epoch column (Julian year); Gaia DR3: 2016.0, "
                        "Hipparcos: 1991.25 (default: %(default)s)")
    parser.add_argument("--epoch", type=float, metavar="YEAR",
                        help="move every star to this epoch (Julian year, e.g. 12016) with its space motion (docs/motion.md); "
                        "default: the reference epoch")
    group = parser.add_argument_group("grid (HLG)")
    group.add_argument("--r0-pc", type=float, default=grid.r0_pc, help="radius of shell 0, pc (default: %(default)s)")
    group.add_argument("--base", type=float, default=grid.base, help="outer/inner radius ratio of a shell (default: %(default)s)")
    group.add_argument("--n-shells", type=_positive_int, default=grid.n_shells, help="radial shells, the last open-ended (default: %(default)s)")
    group.add_argument("--n-theta", type=_positive_int, default=grid.n_theta, help="azimuth sectors (default: %(default)s)")
    group.add_argument("--n-phi", type=_positive_int, default=grid.n_phi, help="polar bands (default: %(default)s)")
    group.add_argument("--polar-spacing", default=grid.polar_spacing, choices=POLAR_SPACINGS, help="polar band spacing (default: %(default)s)")
    group.add_argument("--frame", default=grid.frame, choices=FRAMES, help="axes of the grid (default: %(default)s)")
    group.add_argument("--max-stars", type=_positive_int, default=grid.max_stars,
                       help="the most stars a cell holds; a fuller cell splits into 8 children (default: %(default)s)")
    group.add_argument("--max-depth", type=_non_negative_int, default=grid.max_depth,
                       help="how many times a cell may split (default: %(default)s)")
    group.add_argument("--shard-rows", type=_positive_int, default=DEFAULT_SHARD_ROWS,
                       help="the most stars a shard holds (the partition's unit of work; default: %(default)s)")
    parser.set_defaults(run=_run_build)


def _run_build(args: argparse.Namespace, logger: logging.Logger) -> None:
    options = IngestOptions(
        max_mag=args.max_mag,
        limit=args.limit,
        distance_source=args.distance_source,
        parallax_zero_point_mas=args.parallax_zero_point,
        parallax_policy=args.parallax_policy,
        min_parallax_over_error=args.min_parallax_over_error,
        edsd_length_scale_pc=args.edsd_length_scale,
        colour_relation=args.colour_relation,
        ref_epoch=args.ref_epoch,
        epoch=args.epoch,
    )
    grid = Grid(args.r0_pc, args.base, args.n_shells, args.n_theta, args.n_phi, args.polar_spacing, args.frame,
                args.max_stars, args.max_depth)
    if args.synthetic:
        sources = [{"kind": "synthetic", "stars": args.synthetic, "seed": args.seed, "model": args.model, "part": part, "parts": args.parts}
                   for part in range(args.parts)]
    else:
        sources = [{"kind": "file", "path": path} for path in expand_catalog_files(args.stars)]
    minor_planets = read_minor_planets_source(args.mpcorb, logger.info) if args.mpcorb else None  # a bad file stops before the build
    index = build(sources, args.output, options, grid, progress=logger.info, force=args.force, shard_rows=args.shard_rows)
    print(f"{index['star_count']:,} stars in {index['cell_count']} cells written to {args.output}")
    if minor_planets is not None:
        orbits, names, summary = minor_planets
        write_minor_planets(Path(args.output) / MINOR_PLANETS_FILE, orbits, names, summary.as_dict(), synthetic=summary.synthetic)
        print(f"{summary.orbits:,} minor planets written to {Path(args.output) / MINOR_PLANETS_FILE} ({summary.message()})")


def _add_synthetic_mpcorb(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "synthetic-mpcorb", help="write a synthetic MPCORB file (the belt's structure; not real minor planets)",
        description="Write N synthetic minor planets in the Minor Planet Center's MPCORB format: the main belt with its "
        "Kirkwood gaps, the Hungarias, the Hildas, Jupiter's Trojans and near-Earth objects, for scale tests and benchmarks "
        "(helios/synthetic_belt.py). Its header and every designation say it is synthetic.")
    parser.add_argument("--count", type=_positive_int, default=1_300_000, help="orbits (default: %(default)s, MPCORB's size)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--output", required=True, metavar="FILE", help="the file to write (gzip when it ends in .gz); must not exist")
    parser.set_defaults(run=_run_synthetic_mpcorb)


def _run_synthetic_mpcorb(args: argparse.Namespace, logger: logging.Logger) -> None:
    from helios.synthetic_belt import write_synthetic_mpcorb

    if Path(args.output).exists():
        raise HeliosError(f"{args.output}: exists; HELIOS writes a synthetic MPCORB file only where there is none")
    write_synthetic_mpcorb(args.output, args.count, args.seed)
    print(f"{args.count:,} synthetic minor planets written to {args.output}")


def _add_landmark_options(parser: argparse.ArgumentParser, neighbors_default: int | None) -> None:
    """``--landmarks``, ``--neighbors`` (required when ``neighbors_default`` is None) and ``--category``."""
    parser.add_argument("--landmarks", default=BUILTIN, metavar="FILE",
                        help="landmarks JSON file (default: the 325 built-in landmarks)")
    parser.add_argument("--neighbors", type=_non_negative_int, default=neighbors_default, required=neighbors_default is None, metavar="N",
                        help="neighbour steps around each landmark's cell" + ("" if neighbors_default is None else " (default: %(default)s)"))
    parser.add_argument("--category", action="append", choices=CATEGORIES, metavar="NAME",
                        help=f"only landmarks of this category; repeatable ({', '.join(CATEGORIES)})")


def _add_select(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "select",
        help="choose the cells to train: near landmarks, or all",
        description="Select the cells of a built universe that lie within N neighbour steps of a landmark "
        "(l and phi clamped, theta wrapped) and exist, and write them with the landmarks that caused each.",
    )
    parser.add_argument("--input", required=True, metavar="DIR", help="directory holding index.json from `helios build`")
    _add_landmark_options(parser, neighbors_default=1)
    parser.add_argument("--all", action="store_true", help="select every cell instead of landmark neighbourhoods")
    parser.add_argument("--output", required=True, metavar="FILE", help="selection JSON to write")
    parser.set_defaults(run=_run_select)


def _run_select(args: argparse.Namespace, logger: logging.Logger) -> None:
    index = read_index(Path(args.input) / "index.json")
    landmarks = [] if args.all else load_landmarks(args.landmarks)
    selection = select_cells(
        index,
        landmarks,
        mode="all" if args.all else "landmarks",
        neighbors=args.neighbors,
        categories=args.category,
        landmark_source=args.landmarks,
    )
    write_json(args.output, selection)
    print(f"{selection['cell_count']} of {selection['universe_cell_count']} cells selected, written to {args.output}")


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    """``--threads`` and one option per key of the config's ``train:`` section (help and defaults from its schema)."""
    from helios.config import add_section_arguments

    parser.add_argument("--threads", type=_positive_int, help="CPU threads for torch (default: torch's choice)")
    add_section_arguments(parser.add_argument_group("training options (the config's train: section)"), "train")


def _add_workflow_options(parser: argparse.ArgumentParser) -> None:
    """``--input``, ``--output``, ``--cores``, ``--dry-run`` and the ``train:`` options (defaults: the workflow's default config)."""
    from helios.config import add_section_arguments
    from helios.workflow import default_config, workflow_present

    parser.add_argument("--input", required=True, metavar="DIR", help="a universe from `helios build` (DIR/index.json, DIR/cells/)")
    parser.add_argument("--output", required=True, metavar="DIR", help="directory for the trained universe (created if missing)")
    parser.add_argument("--cores", type=_positive_int, default=os.cpu_count() or 1, help="CPU cores Snakemake may use (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="only list the jobs that would run")
    # Without the workflow beside the package (a non-editable install) the parser still builds: run_training says why it cannot run.
    defaults = default_config()["train"] if workflow_present() else None
    add_section_arguments(parser.add_argument_group("training options (the config's train: section; defaults from config/config.yaml)"),
                          "train", defaults)


def _run_workflow(args: argparse.Namespace, select: dict) -> None:
    from helios.config import section_values
    from helios.products import product
    from helios.workflow import run_training

    train = section_values(args, "train")
    product(train["ground_truth"]).check_config({"train": train})  # bad values fail here, with HELIOS's message, before Snakemake starts
    validation = run_training(args.input, args.output, select, train, args.cores, dry_run=args.dry_run)
    if validation is not None:
        cells = validation["summary"]["cells"]
        print(f"{cells.get('trained', cells)} cells trained into {args.output}; validation {'passed' if validation['ok'] else 'FAILED'} "
              f"({Path(args.output) / 'validation.json'}); report: {Path(args.output) / 'report' / 'report.html'}")
        if not validation["ok"]:
            raise SystemExit(1)


def _add_train_all(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train-all",
        help="train every cell of a built universe, then gather index, pack, report and validation (the workflow)",
        description="Run the workflow's training and gather on every cell of a universe from `helios build`: "
        "OUTPUT/trained/ (PLYs, index.json, pack/), OUTPUT/report/, OUTPUT/validation.json, logs under OUTPUT/logs/.",
    )
    _add_workflow_options(parser)
    parser.set_defaults(run=lambda args, logger: _run_workflow(args, {"mode": "all"}))


def _add_train_landmarks(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train-landmarks",
        help="train the cells near landmarks of a built universe, then gather (the workflow)",
        description="Run the workflow's selection, training and gather on the cells of a universe from `helios build` "
        "within N neighbour steps of a landmark; outputs as for train-all.",
    )
    _add_landmark_options(parser, neighbors_default=None)
    _add_workflow_options(parser)
    parser.set_defaults(run=lambda args, logger: _run_workflow(
        args, {"mode": "landmarks", "landmarks": args.landmarks, "neighbors": args.neighbors, "categories": args.category or []}))


def _training_options(args: argparse.Namespace):
    import torch

    from helios.config import section_values
    from helios.seed.training import TrainOptions

    if args.threads:
        torch.set_num_threads(args.threads)
    return TrainOptions.from_mapping(section_values(args, "train"))


def _add_train(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train-cell",
        help="train the Gaussian splats of one cell",
        description="Initialise Gaussians from a cell's stars and fit them to reference renders of the star field. "
        "Writes OUT.ply (INRIA 3DGS layout, positions in pc relative to the cell centre) and OUT.json (metrics).",
    )
    parser.add_argument("--cell", required=True, metavar="CELL.parquet", help="a cell file from `helios build` (DIR/cells/L_T_P.parquet)")
    parser.add_argument("--output", required=True, metavar="OUT.ply", help="PLY to write; metrics go beside it as OUT.json")
    _add_training_options(parser)
    parser.set_defaults(run=_run_train, ground_truth="starfield")


def _run_train(args: argparse.Namespace, logger: logging.Logger) -> None:
    from helios.cell import load_cell
    from helios.seed.training import train_cell

    options = _training_options(args)
    output = Path(args.output)
    _refuse_users_files(output, output.with_suffix(".json"))
    metrics = train_cell(load_cell(args.cell), output, output.with_suffix(".json"), options, progress=logger.info)
    print(f"cell {metrics['cell']}: {metrics['status']}, {metrics['splats_final']} splats written to {output}")


def _add_train_batch(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train-batch",
        help="train several cells together (one render call per step for all of them)",
        description="Train the cells given together, stacked along gsplat's batch dimensions (each cell trains as it "
        "would alone; no densification in this mode). Writes DIR/CELL.ply and DIR/CELL.json for every cell.",
    )
    parser.add_argument("--cells", required=True, nargs="+", metavar="CELL.parquet", help="cell files from `helios build`")
    parser.add_argument("--output-dir", required=True, metavar="DIR", help="directory for the PLY and metrics of every cell")
    _add_training_options(parser)
    parser.set_defaults(run=_run_train_batch, densify_until=0, ground_truth="starfield")


def _run_train_batch(args: argparse.Namespace, logger: logging.Logger) -> None:
    from helios.cell import load_cell
    from helios.seed.training import train_batch

    options = _training_options(args)
    cells = [load_cell(path) for path in args.cells]
    names = [cell.cell_id for cell in cells]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise HeliosError(f"train-batch: cell(s) given twice: {', '.join(duplicates)}")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = train_batch(cells, [(out / f"{n}.ply", out / f"{n}.json") for n in names], options, progress=logger.info)
    counts = {status: sum(r["status"] == status for r in results) for status in ("ok", "diverged", "empty")}
    print(f"{len(results)} cells written to {out}: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))


def _add_pack(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("pack", help="pack a universe (its stars, and its trained levels or splats) for a web client",
                                 description="Write every cell of a universe into a pack (docs/pack-format.md): a pack file per shard "
                                 "of the universe and the index that lists them; each cell's stars as points, brightest first, and, "
                                 "for a workflow output, each trained cell's levels (or the seed trainer's splats).")
    parser.add_argument("directory", metavar="DIR", help="workflow output directory (results) or `helios build` output (points only)")
    parser.add_argument("--output", required=True, metavar="OUTDIR", help="folder to write the pack into (OUTDIR/index.json, OUTDIR/SHARD.pack.bin)")
    parser.add_argument("--dtype", choices=("float32", "float16"), default="float32",
                        help="splats only: float32 keeps the PLY values exactly; float16 halves their size (default: %(default)s)")
    parser.set_defaults(run=_run_pack)


def _run_pack(args: argparse.Namespace, logger: logging.Logger) -> None:
    from helios.outputs import output_directory
    from helios.pack.shards import INDEX_FILE, pack_cells, pack_universe
    from helios.universe import find_universe

    trained = Path(args.directory) / "trained"
    trained = trained if (trained / "index.json").is_file() else None
    universe = find_universe(args.directory)
    with output_directory(args.output, "pack", inputs=[args.directory, universe]) as output:
        index = pack_universe(universe, output, trained, "f32" if args.dtype == "float32" else "f16")
    _, cells = pack_cells(Path(args.output) / INDEX_FILE)
    blocks = [block["kind"] for cell in cells for block in cell["blocks"]]
    print(f"{len(cells)} cells packed into {len(index['shards'])} shard(s) in {args.output}: "
          + ", ".join(f"{blocks.count(kind)} {kind} blocks" for kind in ("points", "level", "splats") if kind in blocks))


def _add_pack_info(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("pack-info", help="list and check the cells of a pack",
                                 description="Validate a pack completely (header, directory, every block's checksum) and list its "
                                 "cells: a pack index (every shard's file checked against it) or one pack file.")
    parser.add_argument("pack", metavar="FILE", help="a pack index (pack/index.json) or a pack file (SHARD.pack.bin)")
    parser.set_defaults(run=_run_pack_info)


def _run_pack_info(args: argparse.Namespace, logger: logging.Logger) -> None:
    from helios.files import sha256_file
    from helios.pack import PackError, PackReader
    from helios.pack.shards import pack_cells

    path = Path(args.pack)
    if path.suffix == ".json":
        index, _ = pack_cells(path)  # every shard's entries checked against the index
        readers = []
        for shard in index["shards"]:
            reader = PackReader(path.parent / shard["file"])
            reader.verify()
            if reader.size != shard["bytes"] or sha256_file(reader.path) != shard["sha256"]:
                raise PackError(f"{reader.path}: size or checksum differs from {path}")
            readers.append(reader)
        title = f"{path}: HELIOS pack index version {index['version']}, {len(readers)} shard(s)"
    else:
        readers = [PackReader(path)]  # header and directory, checked: every id a plain token, every field printed below validated
        readers[0].verify()  # every block and padding byte, streamed: memory does not grow with the pack
        title = f"{path}: HELIOS pack version {readers[0].directory['version']}"
    entries = [(reader.path.name, entry) for reader in readers for entry in reader.cells.values()]
    blocks = [block for _, entry in entries for block in entry["blocks"]]
    print(f"{title}, {len(entries)} cells, "
          f"{sum(e['stars'] for _, e in entries):,} stars, {sum(b['count'] for b in blocks if b['kind'] == 'level'):,} level Gaussians, "
          f"{sum(b['count'] for b in blocks if b['kind'] == 'splats'):,} splats, {sum(r.size for r in readers):,} bytes; "
          "all checksums OK")
    print(f"{'cell':>12} {'stars':>8} {'block':>10} {'records':>8} {'points':>8} {'offset':>12} {'bytes':>10}  file")
    for name, entry in entries:
        for block in entry["blocks"]:
            kind = f"level {block['level']}" if block["kind"] == "level" else block["kind"]
            points = block.get("points", block["count"] if block["kind"] == "points" else "")
            print(f"{entry['id']:>12} {entry['stars']:>8} {kind:>10} {block['count']:>8} {points:>8} {block['offset']:>12} "
                  f"{block['length']:>10}  {name}")


def _add_levels_cell(commands: argparse._SubParsersAction) -> None:
    from helios.config import add_section_arguments

    parser = commands.add_parser(
        "levels-cell", help="build the trained levels of detail of one cell",
        description="Keep a cell's brightest stars as points and put the light of the rest in Gaussians, clustered then trained "
        "to that light seen from outside the cell (docs/levels.md). Writes OUT.levels.parquet and OUT.levels.json.")
    parser.add_argument("--cell", required=True, metavar="CELL.parquet", help="a cell file from `helios build` (DIR/cells/L_T_P.parquet)")
    parser.add_argument("--output", required=True, metavar="OUT", help="output stem: OUT.levels.parquet and OUT.levels.json are written")
    parser.add_argument("--seed", type=int, default=0, help="global seed; the cell's derives from it and its id (default: %(default)s)")
    parser.add_argument("--threads", type=_positive_int, help="CPU threads for torch (default: torch's choice)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where the ground truth is rendered and the levels trained (default: %(default)s; the same seed gives "
                        "the same bytes on the CPU; on a GPU the figures agree to rounding)")
    options = parser.add_argument_group("level options (the config's levels: section)")
    options.add_argument("--fractions", type=float, nargs="+", default=[0.01, 0.03, 0.1, 0.3], metavar="F",
                         help="the ladder: each level's bytes as a fraction of all its stars as points (default: 0.01 0.03 0.1 0.3)")
    options.add_argument("--distance-range", type=float, nargs=2, default=[2.0, 6.0], metavar=("NEAR", "FAR"),
                         help="training cameras between these many bounding radii from the centre (default: 2 6)")
    add_section_arguments(options, "levels", exclude=("fractions", "distance_range"))
    parser.set_defaults(run=_run_levels_cell)


def _run_levels_cell(args: argparse.Namespace, logger: logging.Logger) -> None:
    import torch

    from helios.config import section_values
    from helios.lod.cell_job import level_cell
    from helios.lod.levels import LevelOptions

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise HeliosError("--device cuda: PyTorch sees no CUDA device here")
    options = LevelOptions.from_mapping(section_values(args, "levels"))
    stem = Path(args.output)
    _refuse_users_files(f"{stem}.levels.parquet", f"{stem}.levels.json")
    metrics = level_cell(args.cell, f"{stem}.levels.parquet", f"{stem}.levels.json", options, args.seed, device=args.device,
                         progress=logger.info)
    if not metrics["levels"]:
        print(f"cell {metrics['cell']}: {metrics['stars']} stars, fewer than levels.min_stars {options.min_stars}: no levels "
              f"(drawn as points); written to {stem}.levels.parquet")
        return
    print(f"cell {metrics['cell']}: {len(metrics['levels'])} levels, "
          + ", ".join(f"{lv['points']} points + {lv['gaussians']} Gaussians" for lv in metrics["levels"])
          + f"; written to {stem}.levels.parquet")


def _add_validate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("validate", help="check a finished run (counts, metrics, checksums, pack round trip)",
                                 description="Check a workflow output directory and print a summary; exit status 1 when a check fails.")
    parser.add_argument("directory", metavar="DIR", help="workflow output directory (results)")
    parser.add_argument("--universe", metavar="DIR", help="the universe it trained, when not DIR/universe (train-all, train-landmarks)")
    parser.add_argument("--output", metavar="FILE", help="also write the result as JSON here")
    from helios.config import add_section_arguments

    add_section_arguments(parser.add_argument_group("what the run must reach (the config's validate: section)"), "validate")
    parser.set_defaults(run=_run_validate)


def _run_validate(args: argparse.Namespace, logger: logging.Logger) -> None:
    from helios.checks import Thresholds
    from helios.config import section_values
    from helios.validate import text_summary, validate_run

    if args.output:
        _refuse_users_files(args.output)
    result = validate_run(args.directory, args.universe, Thresholds.from_mapping(section_values(args, "validate")))
    if args.output:
        write_json(args.output, result)
    print(text_summary(result))
    if not result["ok"]:
        raise SystemExit(1)


def _add_site(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "site", help="write the planetarium web site of a universe (page, scripts, index.json, pack, landmarks)",
        description="Write a static web site for DIR: the planetarium page and its scripts (client/), index.json, "
        "the pack and the landmarks in the universe's frame. Copied to any static web server or CDN that answers HTTP Range "
        "requests, it works; `helios view SITE` serves it locally. Needs the client's npm install (npm ci --prefix client).")
    parser.add_argument("directory", metavar="DIR", help="workflow output directory (results) or `helios build` output (packed here, points only)")
    parser.add_argument("--output", required=True, metavar="SITE",
                        help="directory to write: new, empty, or a site HELIOS wrote before (replaced)")
    parser.add_argument("--force", action="store_true",
                        help="replace SITE even when it is not a HELIOS site (never a directory holding an input)")
    parser.add_argument("--pack", metavar="FILE", help="the pack index to serve (default: DIR/trained/pack/index.json)")
    parser.add_argument("--landmarks", default=BUILTIN, help="landmarks file (default: the built-in set)")
    parser.set_defaults(run=_run_site)


def _run_site(args: argparse.Namespace, logger: logging.Logger) -> None:
    from helios.site import make_site

    manifest = make_site(args.directory, args.output, args.landmarks, args.pack, force=args.force)
    size = sum(path.stat().st_size for path in Path(args.output).rglob("*") if path.is_file())
    print(f"{args.output}: web site of {args.directory} ({size / 1e6:.1f} MB, frame {manifest['frame']}, epoch {manifest['epoch']}); "
          f"serve it with: helios view {args.output}")


def _add_view(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "view", help="serve a results directory over HTTP (with Range requests) and open it in a browser",
        description="Serve DIR/site when it exists (the planetarium site of `helios site` or the workflow), else DIR, on "
        "localhost with HTTP Range requests, and open the page: the site's index.html, else the training report "
        "(report/report.html). Ctrl-C stops it.")
    parser.add_argument("directory", metavar="DIR", help="workflow output directory (results) or a site directory")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine only)")
    parser.add_argument("--no-browser", action="store_true", help="only serve; print the address")
    parser.set_defaults(run=_run_view)


def _run_view(args: argparse.Namespace, logger: logging.Logger) -> None:
    import webbrowser

    from helios.serve import make_server

    root = Path(args.directory)
    served = root / "site" if (root / "site").is_dir() else root
    page = next((name for name in ("index.html", "report/report.html") if (served / name).is_file()), "")
    try:
        server = make_server(served, args.host, args.port)
    except OSError as exc:
        raise HeliosError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); try another --port") from None
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/{page}"
    print(f"serving {served} at {url} (Ctrl-C stops)", flush=True)
    if page != "index.html":
        print(f"no planetarium site here; write one with: helios site {root} --output {root / 'site'}", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _add_render(commands: argparse._SubParsersAction) -> None:
    from helios.photometry import DEFAULT_GLARE, DEFAULT_LIMITING_MAG, DEFAULT_PSF_SIGMA_PX

    parser = commands.add_parser(
        "render", help="draw the assembled universe from any camera, on one photometric scale",
        description="Render every star of a universe (a workflow output directory or a `helios build` output) from a "
        "pinhole camera, each star a point source whose pixels sum to its flux 10^(-0.4 m) (docs/photometry.md). "
        "Coordinates are the universe's frame (heliocentric pc, axes as its index.json says). "
        "FILE.npy: float32 H x W x 3 linear flux; FILE.png: tone mapped for --limiting-mag.")
    # Coordinates such as -5.79e-6 are numbers, not options: Python 3.11's argparse knows only -12 and -1.5 as such.
    parser._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
    parser.add_argument("directory", metavar="DIR", help="workflow output directory (results) or `helios build` output")
    parser.add_argument("--from", dest="eye", nargs="+", metavar="X Y Z|sun|LANDMARK",
                        help="camera position: three coordinates in pc, 'sun', or a landmark name (required without --tour)")
    parser.add_argument("--look-at", dest="target", nargs="+", metavar="X Y Z|LANDMARK",
                        help="point the camera looks at: three coordinates in pc, 'sun', or a landmark name (required without --tour)")
    parser.add_argument("--tour", metavar="TOUR.json",
                        help="render a tour (keyframes of views in the URL's terms, eased as the client plays them; docs/client.md) "
                        "frame by frame into the directory --output, instead of one view")
    parser.add_argument("--fps", type=_finite_float, default=30.0, help="frames per second of a --tour (default: %(default)s)")
    parser.add_argument("--video", metavar="FILE.mp4",
                        help="with --tour, also encode the frames as an H.264 video (needs imageio-ffmpeg: pip install imageio-ffmpeg)")
    parser.add_argument("--fov", type=_finite_float, default=60.0, help="horizontal field of view in degrees (default: %(default)s)")
    parser.add_argument("--size", nargs=2, type=_positive_int, default=[1920, 1080], metavar=("W", "H"),
                        help="image size in pixels (default: 1920 1080)")
    parser.add_argument("--up", nargs=3, type=_finite_float, default=[0.0, 0.0, 1.0], metavar=("X", "Y", "Z"),
                        help="direction towards the top of the image (default: the frame's +z)")
    parser.add_argument("--points", action="store_true",
                        help="every star as a point (the reference); without it each trained cell of a workflow output is drawn "
                        "at the level the rule of docs/levels.md picks (its brightest stars as points, the light of the rest "
                        "in trained Gaussians), every other cell as points")
    parser.add_argument("--clustered", action="store_true",
                        help="draw every cell by the level rule with untrained, clustered Gaussians (the baseline; any DIR)")
    parser.add_argument("--limiting-mag", type=_finite_float, default=DEFAULT_LIMITING_MAG,
                        help="exposure of the PNG: a star of this magnitude is just visible (default: %(default)s)")
    parser.add_argument("--epoch", type=_finite_float, metavar="YEAR",
                        help="draw the stars where their space motion takes them at this epoch (Julian year; straight lines from "
                        "the universe's epoch, docs/motion.md); trained levels belong to the universe's epoch, so away from it "
                        "every star is a point (default: the universe's epoch)")
    parser.add_argument("--psf-sigma", type=_finite_float, default=DEFAULT_PSF_SIGMA_PX,
                        help="point-spread function's standard deviation in pixels (default: %(default)s)")
    parser.add_argument("--exposure", choices=["fixed", "auto"], default="fixed",
                        help="fixed: the exposure of --limiting-mag; auto: the eye adapts to the light in view, a limiting "
                        "magnitude read from the image (docs/photometry.md), as the browser client does (default: fixed)")
    parser.add_argument("--glare", type=_finite_float, default=DEFAULT_GLARE,
                        help="share of each star's light spread into a wide, faint halo, so that bright stars look bright "
                        "(docs/photometry.md); 0: every star's light in its core alone (default: %(default)s)")
    parser.add_argument("--solar-system", action="store_true",
                        help="draw the Sun, the planets (DE421 through skyfield: 1900-2053) and the directory's minor planets at the "
                             "universe's epoch, each as bright as it looks from the camera, and over a PNG the planets' orbits "
                             "(docs/solar-system.md)")
    parser.add_argument("--no-orbits", action="store_true", help="with --solar-system: leave out the orbit lines (the client's key L)")
    parser.add_argument("--constellations", action="store_true",
                        help="draw the constellation figures over the PNG, lines between their stars in 3-D (d3-celestial's "
                        "figures, Hipparcos-2 places; docs/client.md), as the client's `lines=1` does")
    parser.add_argument("--boundaries", action="store_true",
                        help="draw the IAU constellation boundaries over the PNG when the camera is within 1 pc of the Sun, as the "
                        "client's `bounds=1` does")
    parser.add_argument("--landmarks", default=BUILTIN, help="landmarks file for names (default: the built-in set)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="auto: a GPU when present")
    parser.add_argument("--output", required=True, metavar="FILE",
                        help="FILE.npy (linear flux) or FILE.png (tone mapped); with --tour, a directory for the frames")
    parser.set_defaults(run=_run_render)


def _camera_point(tokens: list[str], option: str, universe, landmarks_file: str):
    """Three numbers, 'sun', or a landmark name (case-insensitive, may contain spaces; a unique start of one is enough)."""
    import numpy as np

    if len(tokens) == 3:
        try:
            point = np.array([float(t) for t in tokens])
        except ValueError:
            pass  # not three numbers: a name
        else:
            if not np.isfinite(point).all():
                raise HeliosError(f"{option} {' '.join(tokens)}: give finite coordinates (pc), 'sun' or a landmark name")
            return point
    name = " ".join(tokens)
    if name.lower() == "sun":
        return np.zeros(3)
    return universe.landmark_position(find_landmark(load_landmarks(landmarks_file), name, option))


def _run_render(args: argparse.Namespace, logger: logging.Logger) -> None:
    import numpy as np

    from helios.cameras import pinhole
    from helios.files import atomic_path
    from helios.photometry import display_image, luminance, magnitude_from_flux
    from helios.render.glare import check_glare
    from helios.render.points import check_image_size, check_psf_sigma
    from helios.universe import Universe

    output = Path(args.output)
    check_psf_sigma(args.psf_sigma, f"--psf-sigma {args.psf_sigma}")
    check_glare(args.glare, f"--glare {args.glare}")
    check_image_size(*args.size, f"--size {args.size[0]} {args.size[1]}")
    if args.points and args.clustered:
        raise HeliosError("give --points or --clustered, not both")
    if args.tour is not None:
        _run_tour(args, logger)
        return
    if args.eye is None or args.target is None:
        raise HeliosError("give the camera: --from and --look-at (or a --tour)")
    if args.video is not None:
        raise HeliosError("--video encodes a --tour's frames: give --tour TOUR.json")
    if output.suffix.lower() not in (".npy", ".png"):
        raise HeliosError(f"--output {output}: give a .npy (linear flux) or .png (tone mapped) file name")
    for flag, given in (("--constellations", args.constellations), ("--boundaries", args.boundaries)):
        if given and output.suffix.lower() != ".png":
            raise HeliosError(f"{flag} draws lines over the displayed image: give a .png --output, not {output.name}")
    _refuse_users_files(output)
    if args.epoch is not None and not -1e6 <= args.epoch <= 1e6:
        raise HeliosError(f"--epoch {args.epoch}: give a Julian year within a million years")
    universe = Universe(args.directory, epoch=args.epoch)
    eye = _camera_point(args.eye, "--from", universe, args.landmarks)
    target = _camera_point(args.target, "--look-at", universe, args.landmarks)
    width, height = args.size
    try:
        views = pinhole(eye, target, args.fov, width, height, np.asarray(args.up))
    except ValueError as exc:
        raise HeliosError(str(exc)) from None
    image, limiting_mag = _draw_view(args, universe, views, _level_source(args), args.limiting_mag, args.exposure == "auto",
                                     args.glare, logger)
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(output) as tmp:
        if output.suffix.lower() == ".npy":
            with open(tmp, "wb") as handle:
                np.save(handle, image)
        else:
            import matplotlib.image

            shown = display_image(image, limiting_mag)
            if args.constellations or args.boundaries:
                shown = _with_constellations(shown, universe, views, args.constellations, args.boundaries, logger)
            if args.solar_system and not args.no_orbits:
                shown = _with_orbits(shown, universe, views)
            matplotlib.image.imsave(tmp, shown, format="png", metadata={"Software": SOFTWARE})
    total = float(luminance(image.sum(axis=(0, 1), dtype=np.float64)))
    print(f"{output}: {width} x {height}, limiting magnitude {limiting_mag:.2f}{' (auto)' if args.exposure == 'auto' else ''}, "
          f"total flux {total:.4g} (magnitude {magnitude_from_flux(total):.2f}) "
          f"from {universe.index['star_count']:,} stars in {len(universe.cells)} cells at epoch {universe.epoch:g}")


def _level_source(args: argparse.Namespace):
    """The levels ``helios render`` draws by the rule: clustered, trained (those of DIR, if any) or none (``--points``)."""
    from helios.lod.sources import ClusteredLevels, TrainedLevels

    return ClusteredLevels() if args.clustered else None if args.points else TrainedLevels.find(args.directory)


def _draw_view(args: argparse.Namespace, universe, views, source, limiting_mag: float, auto: bool, glare: float,
               logger: logging.Logger, quiet: bool = False):
    """The linear image (glare applied) of camera 0 of ``views`` and the limiting magnitude it is shown at: every
    star a point, or ``source``'s levels (:func:`_level_source`) by the rule; ``auto``: the exposure read from the image."""
    import torch

    from helios.render.exposure import auto_limiting_mag
    from helios.render.glare import apply_glare
    from helios.render.sky import render_sky, render_sky_levels

    device = "cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise HeliosError("--device cuda: PyTorch sees no CUDA device here")
    info = (lambda *a: None) if quiet else logger.info  # noqa: E731
    if universe.kyr_from_index:
        info("stars moved %+g kyr from the universe's epoch %g to %g%s", universe.kyr_from_index, universe.index["epoch"],
             universe.epoch, "; levels belong to the universe's epoch: every star drawn as a point" if source else "")
        source = None
    if source is None:
        if not args.points and not universe.kyr_from_index:
            info("%s has no trained levels (a `helios build` output, or a run of the seed trainer): every star as a point",
                 args.directory)
        image = _with_solar_system(args, universe, views, render_sky(universe, views, args.psf_sigma, device, progress=info)[0])
        if auto:
            limiting_mag = auto_limiting_mag(image)
    else:
        # The rule keeps every star visible at the limiting magnitude a point: with the automatic exposure, render
        # again at the magnitude read from the image until it holds (the client converges the same way, frame by frame).
        for _ in range(4 if auto else 1):
            image, drawn = render_sky_levels(universe, views, source, psf_sigma_px=args.psf_sigma, device=device,
                                             limiting_mag=limiting_mag)
            image = _with_solar_system(args, universe, views, image[0])
            if not auto or abs((read := auto_limiting_mag(image)) - limiting_mag) < 0.05:
                break
            limiting_mag = read
        info("cells drawn by level (docs/levels.md; %s Gaussians): %s", "clustered" if args.clustered else "trained",
             ", ".join(f"{name}: {count}" for name, count in sorted(drawn.items())))
    image = apply_glare(image, glare, limiting_mag=limiting_mag)  # after the meter, which reads the light before glare (as the client's does)
    if auto:
        info("automatic exposure: limiting magnitude %.2f", limiting_mag)
    return image, limiting_mag


def _with_solar_system(args: argparse.Namespace, universe, views, image):
    """``image`` (camera 0's linear flux) with the Sun, the planets and the minor planets the directory has (``helios
    build --mpcorb``, the workflow's ``solar_system.mpcorb``) at the universe's epoch added (``--solar-system``)."""
    if not getattr(args, "solar_system", False):
        return image
    import torch

    from helios.minor_planets import find_minor_planets, read_minor_planets
    from helios.render.solar import add_solar_system

    found = find_minor_planets(args.directory)
    light = add_solar_system(torch.zeros((1, *image.shape), dtype=torch.float64), views.subset(torch.tensor([0])), universe.epoch,
                             universe.index.get("frame", "icrs"), args.psf_sigma,
                             minor_planets=read_minor_planets(found) if found is not None else None)
    return image + light[0].numpy().astype(image.dtype)


def _run_tour(args: argparse.Namespace, logger: logging.Logger) -> None:
    """``helios render --tour``: every frame of the tour into the directory ``--output`` (and a video with ``--video``)."""
    import functools
    import shutil
    import time

    import matplotlib.image
    import numpy as np

    from helios.cameras import pinhole
    from helios.constellations import constellations
    from helios.outputs import output_directory
    from helios.photometry import display_image
    from helios.tour import frame_times, load_tour, pose_at
    from helios.universe import Universe

    if args.eye is not None or args.target is not None:
        raise HeliosError("--tour sets the camera frame by frame: give no --from or --look-at")
    if not 0 < args.fps <= 240:
        raise HeliosError(f"--fps {args.fps}: give frames per second between 0 and 240")
    if args.video is not None:
        if Path(args.video).suffix.lower() != ".mp4":
            raise HeliosError(f"--video {args.video}: give an .mp4 file name")
        _refuse_users_files(args.video)
        try:
            import imageio_ffmpeg
        except ImportError:
            raise HeliosError("--video needs the imageio-ffmpeg package (pip install imageio-ffmpeg); the frames alone need "
                              "nothing more") from None
    tour = load_tour(args.tour)
    base = Universe(args.directory)
    universe = base
    source = _level_source(args)
    figures = None

    @functools.cache  # the keyframes' points, each resolved once (a name reads the landmarks file)
    def resolve(point, key):
        return np.asarray(point, np.float64) if not isinstance(point, str) else _camera_point([point], key, base, args.landmarks)

    times = frame_times(tour, args.fps)
    width, height = args.size
    logger.info("%s: %d keyframes over %g s: %d frames at %g fps, %d x %d", args.tour, len(tour.times), tour.duration, len(times),
                args.fps, width, height)
    started = time.monotonic()
    with output_directory(args.output, "tour-frames", inputs=[args.directory, args.tour]) as build:
        for number, t in enumerate(times):
            pose = pose_at(tour, t, resolve, float(base.index["epoch"]))
            if universe.epoch != pose.epoch:
                universe = Universe(args.directory, epoch=pose.epoch)
            try:
                views = pinhole(pose.eye, pose.eye + pose.forward, pose.fov, width, height, pose.up)
            except ValueError as exc:
                raise HeliosError(f"{args.tour}: at {t:.3f} s: {exc}") from None
            frame_args = argparse.Namespace(**{**vars(args), "solar_system": args.solar_system or pose.solar})
            image, mag = _draw_view(frame_args, universe, views, source, pose.mag if pose.mag is not None else args.limiting_mag,
                                    pose.mag is None, pose.glare, logger, quiet=True)
            shown = display_image(image, mag)
            if pose.lines or pose.bounds:
                figures = figures or constellations(base)
                shown = _with_constellations(shown, universe, views, pose.lines, pose.bounds, figures=figures)
            if frame_args.solar_system and not args.no_orbits:
                shown = _with_orbits(shown, universe, views)
            matplotlib.image.imsave(build / f"frame_{number:05d}.png", shown, format="png", metadata={"Software": SOFTWARE})
            if number % max(1, len(times) // 10) == 0 or number == len(times) - 1:
                logger.info("frame %d of %d (t = %.2f s, limiting magnitude %.2f), %.0f s so far", number + 1, len(times), t, mag,
                            time.monotonic() - started)
        shutil.copyfile(args.tour, build / "tour.json")
    print(f"{args.output}: {len(times)} frames of {width} x {height} at {args.fps:g} fps ({tour.duration:g} s of tour)")
    if args.video is not None:
        from helios.files import atomic_path

        with atomic_path(Path(args.video)) as tmp:
            writer = imageio_ffmpeg.write_frames(str(tmp), (width, height), fps=args.fps, codec="libx264", pix_fmt_out="yuv420p",
                                                 output_params=["-f", "mp4"], macro_block_size=1)
            writer.send(None)
            for number in range(len(times)):
                frame = matplotlib.image.imread(Path(args.output) / f"frame_{number:05d}.png")[..., :3]
                writer.send(np.ascontiguousarray((frame * 255).round().astype(np.uint8)))
            writer.close()
        print(f"{args.video}: H.264, {len(times)} frames at {args.fps:g} fps")


def _with_orbits(shown, universe, views):
    """``shown`` (8-bit) with the planets' orbit lines at the universe's epoch over it."""
    from helios.render.solar import draw_orbits

    return draw_orbits(shown, views, universe.epoch, universe.index.get("frame", "icrs"))


def _with_constellations(shown, universe, views, lines: bool = True, boundaries: bool = False, logger: logging.Logger | None = None,
                         figures: dict | None = None):
    """``shown`` (8-bit) with the constellation figures drawn over it (their stars moved to the universe's epoch) and,
    with the camera near the Sun, the IAU boundaries (directions around the camera), as the client draws them."""
    import numpy as np

    from helios.cameras import camera_position
    from helios.constellations import constellations
    from helios.render.lines import BOUNDARY_RGB, draw_segments

    figures = figures or constellations(universe)  # the places at the universe's own epoch; the stars move from there
    eye = camera_position(views)
    if boundaries:
        if np.linalg.norm(eye) <= figures["boundaries_within_pc"]:
            edges = np.asarray(figures["boundaries"])
            shown = draw_segments(shown, eye + edges[:, :3], eye + edges[:, 3:], views, BOUNDARY_RGB)
        elif logger is not None:
            logger.info("--boundaries: the IAU boundaries are drawn within %g pc of the Sun only", figures["boundaries_within_pc"])
    if lines:
        stars = {hip: np.asarray(star["position_pc"]) + universe.kyr_from_index * np.asarray(star["velocity_pc_kyr"])
                 for hip, star in figures["stars"].items()}
        pairs = [(stars[str(a)], stars[str(b)]) for figure in figures["figures"] for a, b in figure["segments"]]
        shown = draw_segments(shown, np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]), views)
    return shown


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helios", description="HELIOS: a star catalogue turned into a trained 3-D universe.")
    parser.add_argument("--version", action="version", version=f"helios {helios.__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_build(commands)
    _add_synthetic_mpcorb(commands)
    _add_select(commands)
    _add_train(commands)
    _add_train_batch(commands)
    _add_train_all(commands)
    _add_train_landmarks(commands)
    _add_pack(commands)
    _add_pack_info(commands)
    _add_levels_cell(commands)
    _add_validate(commands)
    _add_site(commands)
    _add_view(commands)
    _add_render(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = make_parser().parse_args(argv)
    logger = configure_logging(level=logging.WARNING if args.quiet else logging.INFO)
    with user_errors():
        args.run(args, logger)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
