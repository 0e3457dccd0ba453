"""A cell's ladder built and stored: points prefix, Gaussians that keep the light, files an independent reader can read."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from helios import photometry
from helios.errors import HeliosError
from helios.lod.cell_job import level_cell
from helios.lod.ladder import DEFAULT_POINT_SHARE, POINT_BYTES, ladder
from helios.lod.levels import LevelOptions, build_cell_levels
from helios.lod.store import COLUMNS, read_cell_levels
from tests.conftest import REPO

QUICK = LevelOptions(fractions=(0.03, 0.3), iterations=30, image_size=32, train_views=8, eval_views=4, eval_every=10, min_stars=1)


def cell_stars(n=300, seed=0):
    rng = np.random.default_rng(seed)
    positions = rng.normal([50.0, -20.0, 5.0], [8.0, 4.0, 1.0], (n, 3))
    abs_mag = np.sort(rng.uniform(-1.0, 10.0, n))
    colours = photometry.unit_luminance(rng.uniform(0.3, 1.0, (n, 3)))
    centre = positions.mean(0)
    return positions, colours, abs_mag, centre, float(np.linalg.norm(positions - centre, axis=1).max())


def test_each_level_keeps_the_brightest_prefix_and_the_light_of_the_rest():
    positions, colours, abs_mag, centre, radius = cell_stars()
    levels = build_cell_levels(positions, colours, abs_mag, centre, radius, seed=3, options=QUICK)
    assert [lv.level.fraction for lv in levels] == [0.03, 0.3]
    for built in levels:
        rest = photometry.luminosity(abs_mag[built.level.n_points:]).sum()
        assert built.gaussians.luminosity.sum() == pytest.approx(rest, rel=1e-9)  # training shares the light out, never loses it
        assert 0 < len(built.gaussians) <= built.level.n_gaussians and built.report is not None
        assert built.report.loss_trained <= built.report.loss_clustered


def test_a_cell_of_fewer_stars_than_the_minimum_gets_no_levels():
    stars = cell_stars(n=100)[:5]
    assert build_cell_levels(*stars, seed=0, options=LevelOptions(iterations=0)) == []  # min_stars 256 by default
    assert len(build_cell_levels(*stars, seed=0, options=LevelOptions(iterations=0, min_stars=100))) == len(LevelOptions().fractions)
    with pytest.raises(HeliosError, match="levels.min_stars 0"):
        LevelOptions(min_stars=0)


def test_levels_are_not_trained_when_there_is_nothing_to_learn():
    positions, colours, abs_mag, centre, radius = cell_stars(n=2)  # one point and one Gaussian, which is the other star
    exact = build_cell_levels(positions, colours, abs_mag, centre, radius, seed=0, options=QUICK)
    assert all(lv.report is None and "every remaining star" in lv.not_trained_because for lv in exact)
    off = build_cell_levels(*cell_stars(n=200)[:5], seed=0, options=LevelOptions(fractions=(0.1,), iterations=0, min_stars=1))
    assert off[0].report is None and "iterations 0" in off[0].not_trained_because


def test_stars_must_come_brightest_first():
    positions, colours, abs_mag, centre, radius = cell_stars()
    with pytest.raises(ValueError, match="brightest first"):
        build_cell_levels(positions, colours, abs_mag[::-1], centre, radius, seed=0, options=QUICK)


def test_bad_options_are_named():
    with pytest.raises(HeliosError, match="increasing fractions"):
        LevelOptions(fractions=(0.3, 0.1))
    with pytest.raises(HeliosError, match="distance_range"):
        LevelOptions(distance_range=(0.5, 2.0))
    with pytest.raises(HeliosError, match="views_per_iter 9 is more than levels.train_views 4"):
        LevelOptions(views_per_iter=9, train_views=4)
    with pytest.raises(HeliosError, match="unknown levels setting"):
        LevelOptions.from_mapping({"iteration": 3})
    for share in (0.0, 1.0, 1.2):
        with pytest.raises(HeliosError, match=f"levels.point_share {share}: give a share"):
            LevelOptions.from_mapping({"point_share": share})


def test_each_levels_split_of_its_bytes_follows_the_point_share():
    """Half of each level's bytes on points at a share of 0.5, 80 % at the default: the same bytes, split otherwise."""
    positions, colours, abs_mag, centre, radius = cell_stars(n=3000)
    split = {}
    for share in (0.5, DEFAULT_POINT_SHARE):
        options = LevelOptions(fractions=(0.1, 0.3), iterations=0, point_share=share)
        built = build_cell_levels(positions, colours, abs_mag, centre, radius, seed=0, options=options)
        assert [(lv.level.n_points, lv.level.n_gaussians) for lv in built] == [(lv.n_points, lv.n_gaussians)
                                                                                for lv in ladder(3000, (0.1, 0.3), share)]
        for lv in built:
            budget = lv.level.fraction * 3000 * POINT_BYTES
            assert abs(lv.level.n_points * POINT_BYTES - share * budget) <= POINT_BYTES
            assert len(lv.gaussians) == lv.level.n_gaussians  # clustered: one Gaussian per cluster asked for
        split[share] = [(lv.level.n_points, lv.level.n_gaussians) for lv in built]
    assert all(half[0] < default[0] and half[1] > default[1] for half, default in zip(split[0.5], split[DEFAULT_POINT_SHARE]))


def test_the_configs_point_share_reaches_a_cells_levels(sample_universe, tmp_path):
    """levels.point_share of a config (here the default config's section, changed) is what a cell job's levels follow
    and record; without the key, the default share."""
    index = json.loads((sample_universe / "index.json").read_text())
    entry = max(index["cells"], key=lambda c: c["star_count"])
    section = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["levels"]
    assert section["point_share"] == DEFAULT_POINT_SHARE  # the config documents the default it runs with
    for share in (0.6, None):
        values = {key: value for key, value in section.items() if key != "point_share"} | {"iterations": 0}
        options = LevelOptions.from_mapping(values if share is None else {**values, "point_share": share})
        metrics = level_cell(sample_universe / entry["file"], tmp_path / "c.parquet", tmp_path / "c.json", options, seed=1)
        expected = DEFAULT_POINT_SHARE if share is None else share
        assert metrics["options"]["point_share"] == expected
        assert [(lv["points"], lv["gaussians"]) for lv in metrics["levels"]] == [
            (lv.n_points, lv.n_gaussians) for lv in ladder(entry["star_count"], options.fractions, expected)]


def test_the_options_each_cell_records_keep_their_order_and_read_back():
    """A cell's levels JSON records the options (``options``): the fields before the point share in the order the
    runs before it wrote them (their bytes are compared), the point share and the minimum stars last, and they read back as the same
    options.  The loss's softening is a constant, not a setting: not recorded."""
    options = LevelOptions(fractions=(0.05, 0.2), point_share=0.6, learning_rate_gaussians=50)
    written = options.as_dict()
    assert list(written) == ["fractions", "iterations", "image_size", "views_per_iter", "train_views", "eval_views", "distance_range",
                             "learning_rate", "learning_rate_gaussians", "train_colours", "eval_every", "point_share",
                             "min_stars"]
    assert LevelOptions.from_mapping(json.loads(json.dumps(written))) == options
    assert "softening" not in written and options.softening == LevelOptions().softening > 0


def test_a_cell_file_gives_its_levels_files_reproducibly(sample_universe, tmp_path):
    index = json.loads((sample_universe / "index.json").read_text())
    entry = max(index["cells"], key=lambda c: c["star_count"])
    runs = []
    for name in ("a", "b"):
        metrics = level_cell(sample_universe / entry["file"], tmp_path / f"{name}.parquet", tmp_path / f"{name}.json", QUICK, seed=1)
        runs.append(((tmp_path / f"{name}.parquet").read_bytes(), {k: v for k, v in metrics.items() if k != "wall_time_s"}))
    assert runs[0] == runs[1]  # same config and seed, same bytes
    metrics = runs[0][1]
    assert metrics["cell"] == entry["id"] and metrics["stars"] == entry["star_count"] and len(metrics["levels"]) == 2
    table = pq.read_table(tmp_path / "a.parquet")  # an independent reader: pyarrow, the documented columns
    assert tuple(table.column_names) == COLUMNS
    assert table.num_rows == sum(level["gaussians"] for level in metrics["levels"])
    gaussians = read_cell_levels(tmp_path / "a.parquet", np.asarray(metrics["centre_pc"]))
    for level in metrics["levels"]:
        g = gaussians[level["level"]]
        assert len(g) == level["gaussians"] and level["luminosity_ratio"] == pytest.approx(1.0, abs=1e-9)
        rows = table.column("level").to_numpy() == level["level"]
        rebuilt = np.stack([table.column(f"sigma_{i}").to_numpy()[rows] for i in range(3)], 1) ** 2
        assert np.allclose(np.sort(np.linalg.eigvalsh(g.covariances), 1), np.sort(rebuilt, 1), rtol=1e-9)


def test_a_damaged_levels_file_is_a_clear_error(tmp_path):
    (tmp_path / "bad.levels.parquet").write_bytes(b"not parquet")
    with pytest.raises(HeliosError, match="bad.levels.parquet: not a readable levels parquet file"):
        read_cell_levels(tmp_path / "bad.levels.parquet", np.zeros(3))
    with pytest.raises(HeliosError, match="no such levels file"):
        read_cell_levels(tmp_path / "none.parquet", np.zeros(3))


@pytest.mark.gpu
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs CUDA")
def test_levels_built_on_a_gpu_keep_the_light_and_fit_as_on_the_cpu():
    positions, colours, abs_mag, centre, radius = cell_stars(n=3000, seed=2)
    on = {device: build_cell_levels(positions, colours, abs_mag, centre, radius, seed=3, options=QUICK, device=device)
          for device in ("cpu", "cuda")}
    for cpu, gpu in zip(on["cpu"], on["cuda"], strict=True):
        assert (gpu.level.n_points, gpu.level.n_gaussians) == (cpu.level.n_points, cpu.level.n_gaussians)
        rest = photometry.luminosity(abs_mag[gpu.level.n_points:]).sum()
        assert gpu.gaussians.luminosity.sum() == pytest.approx(rest, rel=1e-9)
        assert gpu.report.loss_trained <= gpu.report.loss_clustered
        assert gpu.report.loss_clustered == pytest.approx(cpu.report.loss_clustered, rel=0.2)
        assert gpu.report.loss_trained == pytest.approx(cpu.report.loss_trained, rel=0.2)
