"""Which catalogue a universe's star ids come from (helios/star_ids.py), and the ids through the pipeline."""

import json

import numpy as np
import pyarrow as pa
import pytest

from helios import star_ids
from helios.build import build
from helios.pack import read_pack
from helios.pack.assembly import pack_universe


def ranges(*spans, missing=0):
    return [{"low": low, "high": high, "missing": missing} for low, high in spans]


@pytest.mark.parametrize(("spans", "synthetic", "missing", "kind"), [
    ([(1, 120416)], False, 0, "hip"),
    ([(3, 500), (27989, 32349)], False, 0, "hip"),
    ([(0, 5)], False, 0, "source_id"),  # HIP numbers start at 1
    ([(1, 120417)], False, 0, "source_id"),  # past the last HIP number
    ([(4295806720, 6917528997577384320)], False, 0, "gaia_dr3"),
    ([(4295806720, 12 * 4**12 << 35)], False, 0, "source_id"),  # past the last HEALPix pixel
    ([(3, 500), (4295806720, 4295806721)], False, 0, "source_id"),  # a mix of HIP and Gaia
    ([(1, 1000)], True, 0, "synthetic"),
    ([(1, 1000)], False, 2, "source_id"),  # some stars without an id
    ([(None, None)], False, 10, "none"),
])
def test_id_kind(spans, synthetic, missing, kind):
    assert star_ids.id_kind(ranges(*spans, missing=missing), synthetic) == kind


def test_id_range_counts_nulls_and_merges():
    seen = star_ids.IdRange()
    seen.add(pa.array([5, None, 9], pa.int64()))
    seen.add(pa.chunked_array([pa.array([2], pa.int64())]))
    seen.add(pa.array([None], pa.int64()))
    assert seen.as_dict() == {"low": 2, "high": 9, "missing": 2}
    seen.merge({"low": 1, "high": None, "missing": 1})
    assert seen.as_dict() == {"low": 1, "high": 9, "missing": 3}


def test_the_sample_is_hipparcos_and_a_synthetic_sky_synthetic(sample_universe, tmp_path):
    index = json.loads((sample_universe / "index.json").read_text())
    assert index["ids"] == "hip"
    build([{"kind": "synthetic", "stars": 300, "seed": 2}], tmp_path / "synthetic")
    assert json.loads((tmp_path / "synthetic" / "index.json").read_text())["ids"] == "synthetic"


def test_every_star_keeps_its_id_in_the_pack(sample_universe, tmp_path):
    """The pack's ids are the cell files' source_id, teff and methods, star for star (read back with pyarrow)."""
    import pyarrow.parquet as pq

    pack_universe(sample_universe, tmp_path / "u.pack")
    reader = read_pack(tmp_path / "u.pack")
    assert reader.directory["meta"]["ids"] == "hip"
    index = json.loads((sample_universe / "index.json").read_text())
    for entry in index["cells"]:
        table = pq.read_table(sample_universe / entry["file"])
        ids = reader.ids(entry["id"])
        assert ids["source_id"].tolist() == table.column("source_id").to_pylist()
        assert np.array_equal(ids["teff_k"], table.column("teff_k").to_numpy())
        assert [["parallax", "edsd", "column"][c] for c in ids["distance_method"]] == table.column("distance_method").to_pylist()
