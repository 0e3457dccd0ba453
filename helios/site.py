"""A static web site for a universe: the planetarium page, its scripts, the pack, ``index.json`` and
the landmarks (``helios site``, rule ``site``).

The site needs no build and no server logic: any static host that answers HTTP Range requests
serves it (``helios view`` does, locally).  Layout::

    SITE/index.html            the page (client/index.html)
    SITE/app/*.js, style.css   the client's modules (client/src), loaded as ES modules
    SITE/vendor/               three.js from the client's npm install, with its licence
    SITE/site.json             what the page reads first: file names, photometry, level rule
    SITE/index.json            the universe's index (frame, epoch, cells, their fastest stars)
    SITE/pack/index.json       the pack: its index and a file per shard (docs/pack-format.md)
    SITE/pack/SHARD.pack.bin
    SITE/landmarks.json        the landmarks, positions in the universe's frame
    SITE/constellations.json   the constellation figures in 3-D (helios.constellations), from d3-celestial
    SITE/star_names.json       named stars (d3-celestial) and every HIP number, with the cell and row holding each

The site is written into a temporary directory next to ``SITE`` and renamed into place, so a failed
run leaves no half site behind; it carries a marker (``.helios-output.json``) so that a later run may
replace it, and nothing else is replaced (:mod:`helios.outputs`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

# None of these imports torch: the workflow reads this module at every Snakefile parse (tests/test_levels_stand_alone.py).
import helios
from helios import astro, photometry, solar
from helios.errors import HeliosError
from helios.landmarks import BUILTIN, load_landmarks
from helios.lod.rule import rule_constants
from helios.outputs import output_directory
from helios.render.exposure import auto_exposure_constants

#: Files of three.js's npm package the page loads (``three.module.js`` imports ``three.core.js``).
VENDOR_FILES = {"three/build/three.module.js": "three.module.js", "three/build/three.core.js": "three.core.js",
                "three/LICENSE": "three.LICENSE.txt", "d3-celestial/LICENSE": "d3-celestial.LICENSE.txt"}


#: The kind of output directory a site is (its marker, :mod:`helios.outputs`).
SITE_KIND = "site"


class SiteError(HeliosError):
    pass


def client_dir() -> Path:
    """The client's folder: ``HELIOS_CLIENT`` when set, else ``client/`` next to the ``helios`` package."""
    override = os.environ.get("HELIOS_CLIENT")
    return Path(override) if override else Path(helios.__file__).resolve().parent.parent / "client"


def client_files(client: Path | None = None) -> dict[str, Path]:
    """Site path -> source file of every client file a site holds; a clear error when one is missing."""
    client = client or client_dir()
    if not (client / "index.html").is_file() or not (client / "src").is_dir():
        raise SiteError(f"{client}: not the HELIOS client folder (no index.html and src/); set HELIOS_CLIENT to it")
    files = {"index.html": client / "index.html"}
    files.update({f"app/{path.name}": path for path in sorted((client / "src").iterdir()) if path.suffix in (".js", ".css")})
    modules = client / "node_modules"
    for source, name in VENDOR_FILES.items():
        if not (modules / source).is_file():
            raise SiteError(f"{modules / source}: missing; install the client's dependencies first: npm ci --prefix {client}")
        files[f"vendor/{name}"] = modules / source
    return files


def frame_landmarks(landmarks_file: str | Path, universe) -> dict[str, Any]:
    """The landmarks document with every position in the universe's frame (the page does no frame algebra)."""
    marks = load_landmarks(landmarks_file)
    positions = universe.grid.to_frame([mark.xyz for mark in marks])
    return {
        "format": "helios-landmarks", "version": 1, "frame": universe.index.get("frame", "icrs"), "units": "pc",
        "landmarks": [{"name": mark.name, "category": mark.category, "x_pc": float(x), "y_pc": float(y), "z_pc": float(z),
                       "source": mark.source} for mark, (x, y, z) in zip(marks, positions, strict=True)],
    }


def site_manifest(universe) -> dict[str, Any]:
    return {
        "format": "helios-site", "version": 1, "helios": helios.__version__,
        "pack": "pack/index.json", "index": "index.json", "landmarks": "landmarks.json",
        "constellations": "constellations.json", "star_names": "star_names.json", "planets_de421": "planets_de421.bin",
        "frame": universe.index.get("frame", "icrs"), "epoch": universe.index.get("epoch"),
        # ICRS directions into the universe's frame (the client turns a Gaia source_id's HEALPix direction with it)
        "sun_colour": solar.sun_colour().tolist(),  # the Sun's light and the planets' (helios/solar.py)
        "icrs_to_frame": astro.icrs_to_frame(universe.index.get("frame", "icrs")).tolist(),
        "photometry": {"limit_exposed_flux": photometry.LIMIT_EXPOSED_FLUX,
                       "default_limiting_mag": photometry.DEFAULT_LIMITING_MAG, "psf_sigma_px": photometry.DEFAULT_PSF_SIGMA_PX,
                       "default_glare": photometry.DEFAULT_GLARE, "glare_octaves": photometry.GLARE_OCTAVES,
                       "glare_ceiling": photometry.GLARE_CEILING,
                       "auto_exposure": auto_exposure_constants()},
        "level_rule": rule_constants(),
    }


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file system allows (a shard's pack file can be gigabytes), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def make_site(results: str | Path, output: str | Path, landmarks_file: str | Path = BUILTIN,
              pack: str | Path | None = None, client: Path | None = None, force: bool = False) -> dict[str, Any]:
    """Write the site of ``results`` (a workflow output directory, or a ``helios build`` output) to ``output``.

    ``pack``: the pack index to serve (default ``results/trained/pack/index.json``; a ``helios build`` output,
    which has none, is packed here, points only); its files are linked into the site where the file system
    allows, else copied.  An existing ``output`` is replaced only when it is a
    site HELIOS wrote, or with ``force`` (never when it holds an input).  Returns the manifest (``site.json``).
    """
    from helios.constellations import constellations, d3_celestial_data
    from helios.pack.shards import pack_files, pack_universe
    from helios.planet_table import write_planet_table
    from helios.star_names import star_names
    from helios.universe import Universe

    results, output = Path(results), Path(output)
    universe = Universe(results)
    files = client_files(client)
    pack = Path(pack) if pack is not None else results / "trained" / "pack" / "index.json"
    inputs = [results, universe.root, pack] + ([] if landmarks_file == BUILTIN else [Path(landmarks_file)])
    with output_directory(output, SITE_KIND, force=force, inputs=inputs) as build:
        for name, source in files.items():
            (build / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, build / name)
        (build / "pack").mkdir()
        if pack.is_file():
            for source in pack_files(pack):
                _link_or_copy(source, build / "pack" / source.name)
        elif (results / "trained").exists():
            raise SiteError(f"{pack}: no pack in this workflow output; run the workflow's pack rules (or give --pack INDEX)")
        else:
            pack_universe(universe.root, build / "pack", None, "f32")
        shutil.copyfile(universe.root / "index.json", build / "index.json")
        (build / "landmarks.json").write_text(json.dumps(frame_landmarks(landmarks_file, universe), indent=1), encoding="utf-8")
        d3_data = d3_celestial_data(client)
        figures = constellations(universe, d3_data)
        (build / "constellations.json").write_text(json.dumps(figures, separators=(",", ":")), encoding="utf-8")
        write_planet_table(build / "planets_de421.bin")  # DE421's planets, fetched when the solar system is shown
        names = star_names(universe.root, d3_data / "starnames.json")
        (build / "star_names.json").write_text(json.dumps(names, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
        manifest = site_manifest(universe)
        (build / "site.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest
