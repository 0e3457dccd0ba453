import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helios.cell import load_cell
from helios.errors import HeliosError
from helios.grid import Grid


def write_cell(path, xyz, abs_mag=None, cell_id="5_1_1", rgb=None):
    xyz = np.asarray(xyz, dtype=float)
    n = len(xyz)
    rgb = np.full((n, 3), 0.8) if rgb is None else rgb
    table = pa.table({
        "x_pc": xyz[:, 0], "y_pc": xyz[:, 1], "z_pc": xyz[:, 2],
        "abs_mag_g": np.zeros(n) if abs_mag is None else abs_mag,
        "red": rgb[:, 0], "green": rgb[:, 1], "blue": rgb[:, 2],
    }).replace_schema_metadata({"helios.cell": cell_id})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def test_frame_from_grid(tmp_path):
    grid = Grid()
    cell = (5, 1, 1)
    centre, radius = grid.centre_and_radius(cell)
    path = write_cell(tmp_path / "cells" / "5_1_1.parquet", [centre, centre + 0.5 * radius])
    stars = load_cell(path, grid)
    assert stars.cell_id == "5_1_1" and stars.scale_pc == pytest.approx(radius)
    assert np.allclose(stars.positions, [[0, 0, 0], [0.5, 0.5, 0.5]])


@pytest.mark.parametrize("folder", ["cells", "cells/shard-0003"])  # a cell file with or without its shard's folder
def test_frame_from_index_then_from_data(tmp_path, folder):
    path = write_cell(tmp_path / folder / "5_1_1.parquet", [[10.0, 0, 0], [14.0, 0, 0]])
    stars = load_cell(path)
    assert np.allclose(stars.centre_pc, [12, 0, 0]) and stars.scale_pc == pytest.approx(2.0)
    (tmp_path / "index.json").write_text(json.dumps({"cells": [{"id": "5_1_1", "centre_pc": [0, 0, 0], "radius_pc": 20.0}]}))
    stars = load_cell(path)
    assert np.allclose(stars.centre_pc, 0) and stars.scale_pc == 20.0
    # The index is parsed once per version of the file: a rewritten index gives the new frame.
    (tmp_path / "index.json").write_text(json.dumps({"cells": [{"id": "5_1_1", "centre_pc": [1, 0, 0], "radius_pc": 300.0}]}))
    stars = load_cell(path)
    assert np.allclose(stars.centre_pc, [1, 0, 0]) and stars.scale_pc == 300.0


def test_nonfinite_rows_are_dropped_and_counted(tmp_path):
    path = write_cell(tmp_path / "c.parquet", [[1.0, 0, 0], [np.nan, 0, 0], [2.0, 1, 0]], abs_mag=np.array([0.0, 1.0, np.inf]))
    stars = load_cell(path)
    assert len(stars.positions) == 1 and stars.dropped_nonfinite == 2


def test_bad_files(tmp_path):
    with pytest.raises(HeliosError, match="no such cell file"):
        load_cell(tmp_path / "none.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(HeliosError, match="not a readable parquet"):
        load_cell(tmp_path / "junk.parquet")
    pq.write_table(pa.table({"x": [1.0]}), tmp_path / "other.parquet")
    with pytest.raises(HeliosError, match="missing column"):
        load_cell(tmp_path / "other.parquet")
    write_cell(tmp_path / "text.parquet", [[1.0, 2.0, 3.0]], abs_mag=np.array(["bright"]))
    with pytest.raises(HeliosError, match=r"text.parquet: column abs_mag_g holds string, not numbers"):
        load_cell(tmp_path / "text.parquet")


def test_null_values_are_read_as_nan_and_dropped(tmp_path):
    path = write_cell(tmp_path / "cells" / "5_1_1.parquet", [[1.0, 2.0, 3.0], [2.0, 2.0, 3.0], [3.0, 2.0, 3.0]])
    table = pq.read_table(path)
    table = table.set_column(table.column_names.index("red"), "red", pa.array([0.5, None, 0.7]))
    pq.write_table(table.replace_schema_metadata({"helios.cell": "5_1_1"}), path)
    cell = load_cell(path)
    assert cell.dropped_nonfinite == 1 and np.allclose(cell.rgb[:, 0], [0.5, 0.7])


def test_reading_a_cell_imports_neither_pyarrow_dataset_nor_pandas(tmp_path):
    """pq.read_table would import both: ~0.3 s of every training job's start-up."""
    path = write_cell(tmp_path / "cells" / "5_1_1.parquet", [[1.0, 2.0, 3.0]])
    code = ("import sys; from helios.cell import load_cell; load_cell(sys.argv[1]); "
            "print(sorted(m for m in ('pandas', 'pyarrow.dataset') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout.strip() == "[]"
