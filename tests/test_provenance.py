import shutil

import pytest

import helios.provenance as provenance
from helios.provenance import code_version, module_closure


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the helios sources that code_version reads instead of the real ones (free to edit)."""
    copy = tmp_path / "helios"
    shutil.copytree(provenance._ROOT, copy)
    monkeypatch.setattr(provenance, "_ROOT", copy)
    module_closure.cache_clear()
    yield copy
    module_closure.cache_clear()


def append(path, text):
    with open(path, "a") as handle:
        handle.write(text)


def test_closure_follows_helios_imports():
    closure = module_closure("helios.partition")
    assert {"helios.partition", "helios.ingest", "helios.grid", "helios.astro", "helios.files"} <= set(closure)
    assert "helios.selection" not in closure and "helios.cli" not in closure


def test_version_changes_only_with_code_the_module_uses(package_copy):
    before_select, before_ingest = code_version("helios.selection"), code_version("helios.ingest")
    append(package_copy / "landmarks.py", "\n# a change\n")
    module_closure.cache_clear()
    assert code_version("helios.selection") != before_select
    assert code_version("helios.ingest") == before_ingest


def test_version_follows_the_cuda_source_a_module_compiles(package_copy):
    before_train, before_ingest = code_version("helios.seed.training"), code_version("helios.ingest")
    append(package_copy / "seed" / "accel" / "csrc" / "fused_ssim.cu", "\n// a change\n")
    assert code_version("helios.seed.training") != before_train
    assert code_version("helios.ingest") == before_ingest


def test_version_follows_the_data_files_a_module_reads(package_copy):
    """The built-in landmarks feed select; the blackbody table feeds ingest's colours."""
    select, ingest, train = code_version("helios.selection"), code_version("helios.ingest"), code_version("helios.seed.training")
    append(package_copy / "data" / "landmarks.json", "\n")
    assert code_version("helios.selection") != select and code_version("helios.ingest") == ingest
    append(package_copy / "data" / "blackbody_linear_srgb.csv", "\n")
    assert code_version("helios.ingest") != ingest and code_version("helios.seed.training") == train
