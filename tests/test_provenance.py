import shutil

from helios.provenance import code_version, module_closure


def test_closure_follows_helios_imports():
    closure = module_closure("helios.partition")
    assert {"helios.partition", "helios.ingest", "helios.grid", "helios.astro", "helios.files"} <= set(closure)
    assert "helios.selection" not in closure and "helios.cli" not in closure


def test_version_changes_only_with_code_the_module_uses(tmp_path, monkeypatch):
    import helios.provenance as provenance

    copy = tmp_path / "helios"
    shutil.copytree(provenance._ROOT, copy)
    monkeypatch.setattr(provenance, "_ROOT", copy)
    module_closure.cache_clear()
    before_select, before_ingest = code_version("helios.selection"), code_version("helios.ingest")
    with open(copy / "landmarks.py", "a") as handle:
        handle.write("\n# a change\n")
    module_closure.cache_clear()
    assert code_version("helios.selection") != before_select
    assert code_version("helios.ingest") == before_ingest
    module_closure.cache_clear()


def test_version_follows_the_cuda_source_a_module_compiles(tmp_path, monkeypatch):
    import helios.provenance as provenance

    copy = tmp_path / "helios"
    shutil.copytree(provenance._ROOT, copy)
    monkeypatch.setattr(provenance, "_ROOT", copy)
    module_closure.cache_clear()
    before_train, before_ingest = code_version("helios.train"), code_version("helios.ingest")
    with open(copy / "csrc" / "fused_ssim.cu", "a") as handle:
        handle.write("\n// a change\n")
    assert code_version("helios.train") != before_train
    assert code_version("helios.ingest") == before_ingest
    module_closure.cache_clear()
