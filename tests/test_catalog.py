
import numpy as np
import pyarrow as pa
import pytest

from helios import catalog
from helios.errors import CatalogError
from tests.conftest import archive_csv, bulk_csv, write_text

STAR = {"source_id": 42, "ra": 10.5, "dec": -20.25, "parallax": 5.0, "parallax_error": 0.1, "phot_g_mean_mag": 9.0, "bp_rp": 0.8}


def read_all(path):
    layout = catalog.inspect_csv(path)
    batches = list(catalog.iter_batches(layout, block_size=1 << 12))
    return layout, batches


def test_bulk_ecsv_layout_with_nulls(tmp_path):
    rows = [dict(STAR, source_id=i, ra=float(i)) for i in range(1, 6)]
    rows[2]["bp_rp"] = None
    path = bulk_csv(tmp_path / "GaiaSource_000000-003111.csv.gz", rows)
    layout, batches = read_all(path)
    assert layout.compressed and layout.comment_lines == ECSV_LINES
    assert len(layout.columns) == 152
    assert batches[0][1] == ECSV_LINES + 2
    table = pa.Table.from_batches([b for b, _ in batches])
    assert table.column("source_id").to_pylist() == [1, 2, 3, 4, 5]
    assert table.column("bp_rp").to_pylist()[2] is None
    # Only the columns HELIOS uses are parsed.
    assert set(table.schema.names) <= set(catalog.COLUMN_TYPES)


ECSV_LINES = 9


def test_archive_query_subset_any_case_and_order(tmp_path):
    path = archive_csv(tmp_path / "query.csv", ["PHOT_G_MEAN_MAG", "Dec", "RA", "Parallax"], [[9.0, -1.5, 3.0, 2.0], [None, 1, 2, ""]])
    layout, batches = read_all(path)
    assert not layout.compressed and layout.comment_lines == 0
    batch = batches[0][0]
    assert batch.column("ra").to_pylist() == [3.0, 2.0]
    assert batch.column("phot_g_mean_mag").to_pylist() == [9.0, None]
    assert batch.column("parallax").to_pylist() == [2.0, None]


def test_gzip_detected_from_content_not_name(tmp_path):
    path = archive_csv(tmp_path / "stars.csv", ["ra", "dec"], [[1, 2]], gz=True)
    layout, batches = read_all(path)
    assert layout.compressed and batches[0][0].num_rows == 1


def test_batches_number_lines_across_blocks(tmp_path):
    rows = [[i, 0.0, 5.0] for i in range(2000)]
    path = archive_csv(tmp_path / "many.csv", ["ra", "dec", "phot_g_mean_mag"], rows)
    _, batches = read_all(path)
    assert len(batches) > 1
    for batch, first_line in batches:
        # Line n holds ra = n - 2 (line 1 is the header).
        assert batch.column("ra").to_pylist()[0] == first_line - 2


def test_missing_file(tmp_path):
    with pytest.raises(CatalogError, match="no such catalogue file"):
        catalog.inspect_csv(tmp_path / "nope.csv")


def test_empty_file(tmp_path):
    with pytest.raises(CatalogError, match="empty"):
        catalog.inspect_csv(write_text(tmp_path / "empty.csv", ""))
    with pytest.raises(CatalogError, match="empty"):
        catalog.inspect_csv(write_text(tmp_path / "empty.csv.gz", "", gz=True))


def test_only_comments(tmp_path):
    with pytest.raises(CatalogError, match="no CSV header row"):
        catalog.inspect_csv(write_text(tmp_path / "c.csv", "# %ECSV 1.0\n# ---\n"))


def test_binary_file(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(CatalogError, match="binary file"):
        catalog.inspect_csv(path)


def test_truncated_gzip(tmp_path):
    rows = [[float(i % 360), 0.0, 5.0, 1.0] for i in range(100_000)]
    whole = archive_csv(tmp_path / "whole.csv.gz", ["ra", "dec", "phot_g_mean_mag", "parallax"], rows, gz=True)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    layout = catalog.inspect_csv(cut)
    with pytest.raises(CatalogError, match=r"cut\.csv\.gz: the file ends early or is corrupt after about line \d+"):
        list(catalog.iter_batches(layout, block_size=1 << 14))


def test_non_numeric_value_names_line_and_column(tmp_path):
    rows = [[1, 2, 3]] * 10 + [[1, "abc", 3]] + [[1, 2, 3]] * 5
    path = archive_csv(tmp_path / "bad.csv", ["ra", "dec", "phot_g_mean_mag"], rows)
    layout = catalog.inspect_csv(path)
    with pytest.raises(CatalogError, match=r"bad\.csv: line 12, column 'dec': value 'abc' is not a number"):
        list(catalog.iter_batches(layout))


def test_non_integer_source_id(tmp_path):
    path = archive_csv(tmp_path / "bad.csv", ["source_id", "ra", "dec"], [[1, 2, 3], ["x1", 2, 3]])
    with pytest.raises(CatalogError, match=r"line 3, column 'source_id': value 'x1' is not an integer"):
        list(catalog.iter_batches(catalog.inspect_csv(path)))


def test_ragged_row(tmp_path):
    path = write_text(tmp_path / "ragged.csv", "ra,dec,phot_g_mean_mag\n1,2,3\n4,5\n")
    with pytest.raises(CatalogError, match="malformed CSV"):
        list(catalog.iter_batches(catalog.inspect_csv(path)))


def test_duplicate_column_names(tmp_path):
    path = write_text(tmp_path / "dup.csv", "ra,RA,dec\n1,2,3\n")
    with pytest.raises(CatalogError, match="column 'ra' appears twice"):
        catalog.inspect_csv(path)


def test_required_columns(tmp_path):
    layout = catalog.inspect_csv(archive_csv(tmp_path / "q.csv", ["ra", "parallax"], [[1, 2]]))
    with pytest.raises(CatalogError, match="missing required column\\(s\\): dec, phot_g_mean_mag"):
        catalog.check_required_columns(layout, ("parallax",))


def test_synthetic_sky_is_deterministic():
    a = list(catalog.synthetic_batches(1000, seed=7, batch_rows=1000))
    b = list(catalog.synthetic_batches(1000, seed=7, batch_rows=1000))
    assert a[0].equals(b[0])
    c = list(catalog.synthetic_batches(1000, seed=8, batch_rows=1000))
    assert not a[0].equals(c[0])
    batch = a[0]
    assert set(catalog.REQUIRED_COLUMNS) <= set(batch.schema.names)
    ra, dec = batch.column("ra").to_numpy(), batch.column("dec").to_numpy()
    assert (ra >= 0).all() and (ra < 360).all() and (np.abs(dec) <= 90).all()


# --------------------------------------------------------------------------------------
# The header row: byte-order marks, quoted names, long headers

BOM = "\ufeff"


@pytest.mark.parametrize("gz", [False, True])
def test_utf8_byte_order_mark_is_accepted(tmp_path, gz):
    # Excel writes "UTF-8 CSV" with a byte-order mark before the first column name.
    path = write_text(tmp_path / "excel.csv", BOM + "ra,dec,phot_g_mean_mag,parallax\n1.5,2,9,4\n3.5,4,10,5\n", gz=gz)
    layout, batches = read_all(path)
    assert layout.columns == ("ra", "dec", "phot_g_mean_mag", "parallax")
    assert layout.compressed == gz and layout.comment_lines == 0
    table = pa.Table.from_batches([b for b, _ in batches])
    assert table.column("ra").to_pylist() == [1.5, 3.5]
    catalog.check_required_columns(layout, ("parallax",))


def test_byte_order_mark_before_an_ecsv_block(tmp_path):
    path = write_text(tmp_path / "bulk.csv.gz", BOM + "# %ECSV 1.0\n# ---\nra,dec\n1,2\n", gz=True)
    layout, batches = read_all(path)
    assert layout.comment_lines == 2 and layout.columns == ("ra", "dec")
    assert batches[0][0].column("ra").to_pylist() == [1.0] and batches[0][1] == 4


def test_quoted_header_is_parsed_as_csv(tmp_path):
    text = '"source_id","RA", "dec","a,b","phot_g_mean_mag"\n7,1.5,2,"x,y",9\n8,2.5,3,z,10\n'
    path = write_text(tmp_path / "quoted.csv", text)
    layout, batches = read_all(path)
    assert layout.columns == ("source_id", "ra", "dec", "a,b", "phot_g_mean_mag")
    table = pa.Table.from_batches([b for b, _ in batches])
    assert table.column("source_id").to_pylist() == [7, 8]
    assert table.column("phot_g_mean_mag").to_pylist() == [9.0, 10.0]


def test_header_with_crlf_line_ends(tmp_path):
    path = write_text(tmp_path / "win.csv", BOM + '"ra","dec"\r\n1,2\r\n')
    layout, batches = read_all(path)
    assert layout.columns == ("ra", "dec") and batches[0][0].column("dec").to_pylist() == [2.0]


def test_header_longer_than_the_sniffed_block_is_read(tmp_path):
    # A header past 64 KiB (many extra columns) is still a header.
    extra = [f"extra_column_{i:05d}" for i in range(5000)]
    columns = ["ra", "dec", "phot_g_mean_mag", *extra]
    path = archive_csv(tmp_path / "wide.csv.gz", columns, [[1.5, 2, 9, *range(5000)], [2.5, 3, 10, *range(5000)]], gz=True)
    layout = catalog.inspect_csv(path)
    assert len(layout.columns) == 5003 and layout.columns[:3] == ("ra", "dec", "phot_g_mean_mag")
    table = pa.Table.from_batches([b for b, _ in catalog.iter_batches(layout)])
    assert table.column("ra").to_pylist() == [1.5, 2.5]


@pytest.mark.parametrize("gz", [False, True])
def test_header_longer_than_the_limit_is_named(tmp_path, gz):
    header = ",".join(f"c{i}" for i in range(catalog.MAX_HEADER_BYTES // 4))
    assert len(header) > catalog.MAX_HEADER_BYTES
    path = write_text(tmp_path / "huge.csv", "# comment\n" + header + "\n1\n", gz=gz)
    with pytest.raises(CatalogError, match=rf"huge\.csv: line 2: the header row is longer than {catalog.MAX_HEADER_BYTES} bytes"):
        catalog.inspect_csv(path)


def test_unterminated_quote_in_header(tmp_path):
    path = write_text(tmp_path / "q.csv", '"ra,dec\n1,2\n')
    with pytest.raises(CatalogError, match=r"q\.csv: line 1: the header row is not valid CSV"):
        catalog.inspect_csv(path)


def test_header_not_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("ra,dec,\xe9toile\n1,2,3\n".encode("latin-1"))
    with pytest.raises(CatalogError, match=r"latin1\.csv: .*not UTF-8"):
        catalog.inspect_csv(path)
