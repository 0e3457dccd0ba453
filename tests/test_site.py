"""helios site: the static site of a universe (helios/site.py)."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from helios.landmarks import load_landmarks
from helios.pack import read_pack
from helios.site import SiteError, client_dir, make_site
from helios.universe import Universe


def test_site_of_a_build_output_holds_page_scripts_pack_and_landmarks(sample_universe, tmp_path):
    manifest = make_site(sample_universe, tmp_path / "site")
    site = tmp_path / "site"
    assert json.loads((site / "site.json").read_text()) == manifest
    assert manifest["photometry"] == {"limit_exposed_flux": 0.02, "default_limiting_mag": 6.5, "psf_sigma_px": 0.8,
                                      "default_glare": 0.25, "glare_octaves": 5, "glare_ceiling": 100.0,
                                      "auto_exposure": {"octave": 2, "percentile": 99.5, "exposed": 0.25, "min_limiting_mag": 2.0,
                                                        "max_limiting_mag": 22.0}}
    assert manifest["level_rule"]["pixels_per_primitive"] == 4 and manifest["epoch"] == 1991.25
    for name in ("index.html", "app/main.js", "app/pack.js", "app/style.css", "vendor/three.module.js", "vendor/three.core.js",
                 "vendor/three.LICENSE.txt", "vendor/d3-celestial.LICENSE.txt", "index.json", "constellations.json"):
        assert (site / name).is_file(), name
    pack = read_pack(site / "pack" / "shard-0000.pack.bin")  # packed here: points only
    pack.verify()
    assert sum(cell["stars"] for cell in pack.cells.values()) == 13943
    assert (site / "index.json").read_bytes() == (sample_universe / "index.json").read_bytes()
    marks = json.loads((site / "landmarks.json").read_text())["landmarks"]
    assert len(marks) == len(load_landmarks()) and not list(tmp_path.glob(".site.partial"))


def test_landmarks_are_given_in_the_universes_frame(tmp_path):
    from helios.build import build
    from helios.grid import Grid

    universe = tmp_path / "galactic"
    build([{"kind": "synthetic", "stars": 500, "seed": 1, "model": "disc"}], universe, grid=Grid(frame="galactic"))
    make_site(universe, tmp_path / "site")
    marks = {m["name"]: m for m in json.loads((tmp_path / "site" / "landmarks.json").read_text())["landmarks"]}
    deneb = next(m for m in load_landmarks() if m.name.startswith("Deneb ("))
    expected = Universe(universe).landmark_position(deneb)
    assert not np.allclose(expected, deneb.xyz)  # the frames differ
    assert np.allclose([marks[deneb.name][k] for k in ("x_pc", "y_pc", "z_pc")], expected)
    figures = json.loads((tmp_path / "site" / "constellations.json").read_text())
    betelgeuse = np.asarray(figures["stars"]["27989"]["position_pc"])  # HIP 27989, Orion's shoulder
    landmark = Universe(universe).landmark_position(next(m for m in load_landmarks() if m.name.startswith("Betelgeuse")))
    assert figures["frame"] == "galactic"
    assert np.degrees(np.arccos(betelgeuse @ landmark / np.linalg.norm(betelgeuse) / np.linalg.norm(landmark))) < 1 / 60


def test_missing_client_install_is_a_clear_error_and_leaves_nothing(sample_universe, tmp_path, monkeypatch):
    bare = tmp_path / "client"
    shutil.copytree(client_dir(), bare, ignore=shutil.ignore_patterns("node_modules"))
    monkeypatch.setenv("HELIOS_CLIENT", str(bare))
    with pytest.raises(SiteError, match="npm ci --prefix"):
        make_site(sample_universe, tmp_path / "site")
    assert not (tmp_path / "site").exists() and not list(tmp_path.glob(".site*"))


def test_workflow_output_without_its_pack_is_refused(sample_universe, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(sample_universe, results / "universe")
    (results / "trained").mkdir()
    with pytest.raises(SiteError, match="no pack"):
        make_site(results, tmp_path / "site")
    assert not (tmp_path / "site").exists() and not list(tmp_path.glob(".site*"))


def test_cli_writes_the_site_and_replaces_an_old_one(sample_universe, tmp_path):
    site = [sys.executable, "-m", "helios.cli", "site"]
    result = subprocess.run([*site, str(sample_universe), "--output", str(tmp_path / "site")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (tmp_path / "site" / "stale.txt").write_text("old")  # in a site HELIOS wrote: replaced with the rest of it
    result = subprocess.run([*site, str(sample_universe), "--output", str(tmp_path / "site")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "helios view" in result.stdout and not (tmp_path / "site" / "stale.txt").exists()
    bad = subprocess.run([*site, str(tmp_path / "nowhere"), "--output", str(tmp_path / "s2")], capture_output=True, text=True)
    assert bad.returncode != 0 and "nowhere" in bad.stderr and "Traceback" not in bad.stderr
