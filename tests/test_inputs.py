import pytest

from helios.errors import HeliosError
from helios.inputs import expand_catalog_files, part_name


def test_globs_and_files_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("GaiaSource_2.csv.gz", "GaiaSource_1.csv.gz", "extra.csv"):
        (tmp_path / name).write_text("x")
    assert expand_catalog_files(["extra.csv", "GaiaSource_*.csv.gz"]) == ["extra.csv", "GaiaSource_1.csv.gz", "GaiaSource_2.csv.gz"]


def test_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text("x")
    with pytest.raises(HeliosError, match="matches no files"):
        expand_catalog_files(["*.parquet"])
    with pytest.raises(HeliosError, match="does not exist"):
        expand_catalog_files(["b.csv"])
    with pytest.raises(HeliosError, match="listed twice"):
        expand_catalog_files(["a.csv", "*.csv"])
    with pytest.raises(HeliosError, match="no catalogue files"):
        expand_catalog_files([])


def test_part_names_are_safe_stable_and_distinct():
    a = part_name("data/GaiaSource_000000-003111.csv.gz")
    assert a.startswith("GaiaSource_000000_003111-") and a == part_name("data/GaiaSource_000000-003111.csv.gz")
    assert a != part_name("other/GaiaSource_000000-003111.csv.gz")
    weird = part_name("../$(rm -rf)/ä b.csv")
    assert all(ch.isalnum() or ch in "_-" for ch in weird)
