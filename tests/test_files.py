"""helios/files.py: the JSON documents HELIOS reads back, with their format and version checked."""

import json

import pytest

from helios.errors import HeliosError
from helios.files import load_document


def test_a_document_is_read_only_with_its_format_and_version(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format": "helios-partition-plan", "version": 1, "leaves": []}))
    assert load_document(path, "partition plan", "helios-partition-plan", 1)["leaves"] == []
    assert load_document(path, "partition plan", "helios-partition-plan")["version"] == 1  # no version asked
    with pytest.raises(HeliosError, match=r"plan.json: not a HELIOS pack index \(format 'helios-partition-plan'\); repack"):
        load_document(path, "pack index", "helios-pack-index", 1, remedy="repack")
    with pytest.raises(HeliosError, match=r"partition plan version 1 is not supported \(this HELIOS reads 2\); rerun$"):
        load_document(path, "partition plan", "helios-partition-plan", 2, remedy="rerun")
    path.write_text("[1, 2]")  # JSON, not a document
    with pytest.raises(HeliosError, match=r"not a HELIOS partition plan \(format None\)$"):
        load_document(path, "partition plan", "helios-partition-plan")
    with pytest.raises(HeliosError, match="missing partition plan"):
        load_document(tmp_path / "none.json", "partition plan", "helios-partition-plan")
