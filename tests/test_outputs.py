"""HELIOS never deletes or overwrites what it did not write (helios.outputs), tried as a user would: through the
commands, with files of the user's where the outputs go."""

import json
import shutil

import numpy as np
import pytest

from helios.cli import main
from helios.files import atomic_path, write_json
from helios.outputs import MARKER, OutputError, claim_directory, directory_kind, is_helios_file, output_directory

SMALL = ["--synthetic", "300", "--seed", "3"]


def helios(capsys, *args):
    """Run a command in this process; (exit code, stderr)."""
    capsys.readouterr()
    try:
        main([str(arg) for arg in args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def no_leftovers(parent):
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name or p.name.startswith(".helios-parts")]


def test_build_refuses_a_directory_holding_a_users_file(tmp_path, capsys):
    out = tmp_path / "U"
    (out / "cells").mkdir(parents=True)
    (out / "cells" / "thesis.tex").write_text("precious")
    code, err = helios(capsys, "build", *SMALL, "--output", out)
    assert code == 1 and "not a HELIOS universe" in err and "--force" in err
    assert (out / "cells" / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["cells"] and not no_leftovers(tmp_path)


def test_build_never_replaces_the_directory_holding_its_input(tmp_path, capsys, repo):
    data = tmp_path / "D"
    (data / "cells").mkdir(parents=True)
    catalogue = shutil.copy(repo / "tests" / "data" / "barnards_star_hip2.csv", data / "cells" / "catalog.csv")
    for force in ([], ["--force"]):
        code, err = helios(capsys, "build", "--stars", catalogue, "--output", data, *force)
        assert code == 1 and "holds the input" in err
        assert (data / "cells" / "catalog.csv").read_bytes() == (repo / "tests" / "data" / "barnards_star_hip2.csv").read_bytes()


def test_build_refuses_a_workflow_results_directory_and_a_link_to_it(tmp_path, capsys):
    results = tmp_path / "results"
    (results / "trained").mkdir(parents=True)
    (results / "stars.parquet").write_bytes(b"the run's own file")
    link = tmp_path / "link"
    link.symlink_to(results)
    for target in (results, link):
        code, err = helios(capsys, "build", *SMALL, "--output", target)
        assert code == 1 and "not a HELIOS universe" in err
    assert (results / "stars.parquet").read_bytes() == b"the run's own file"
    assert sorted(p.name for p in results.iterdir()) == ["stars.parquet", "trained"] and link.is_symlink()


def test_build_replaces_its_own_universe_and_fills_an_empty_directory(tmp_path, capsys):
    out = tmp_path / "U"
    out.mkdir()
    assert helios(capsys, "build", *SMALL, "--output", out)[0] == 0
    assert directory_kind(out) == "universe" and (out / "index.json").is_file()
    first = json.loads((out / "index.json").read_text())["star_count"]
    assert helios(capsys, "build", "--synthetic", "200", "--output", out)[0] == 0
    assert json.loads((out / "index.json").read_text())["star_count"] < first
    assert not no_leftovers(tmp_path)
    link = tmp_path / "link"  # a link to a universe: the universe it points to is replaced, the link stays
    link.symlink_to(out)
    assert helios(capsys, "build", *SMALL, "--output", link)[0] == 0
    assert link.is_symlink() and json.loads((out / "index.json").read_text())["star_count"] == first


def test_build_force_replaces_a_foreign_directory(tmp_path, capsys):
    out = tmp_path / "U"
    out.mkdir()
    (out / "old.txt").write_text("the user said --force")
    assert helios(capsys, "build", *SMALL, "--output", out, "--force")[0] == 0
    assert not (out / "old.txt").exists() and (out / "index.json").is_file() and not no_leftovers(tmp_path)


def test_a_failed_build_leaves_the_old_universe_and_no_temporary_files(tmp_path, capsys):
    out = tmp_path / "U"
    assert helios(capsys, "build", *SMALL, "--output", out)[0] == 0
    before = (out / "index.json").read_bytes()
    missing = tmp_path / "absent.csv"
    code, _ = helios(capsys, "build", "--stars", missing, "--output", out)
    assert code == 1 and (out / "index.json").read_bytes() == before and not no_leftovers(tmp_path)


@pytest.fixture
def universe(tmp_path, capsys):
    out = tmp_path / "universe"
    assert helios(capsys, "build", *SMALL, "--output", out)[0] == 0
    return out


def test_site_refuses_a_directory_of_the_users_and_replaces_its_own(tmp_path, capsys, universe):
    site = tmp_path / "S"
    site.mkdir()
    (site / "notes.md").write_text("mine")
    code, err = helios(capsys, "site", universe, "--output", site)
    assert code == 1 and "not a HELIOS site" in err and (site / "notes.md").read_text() == "mine"
    assert sorted(p.name for p in site.iterdir()) == ["notes.md"] and not no_leftovers(tmp_path)
    fresh = tmp_path / "fresh"
    assert helios(capsys, "site", universe, "--output", fresh)[0] == 0 and directory_kind(fresh) == "site"
    (fresh / "index.json").write_text("stale")
    assert helios(capsys, "site", universe, "--output", fresh)[0] == 0  # its own site: replaced
    assert json.loads((fresh / "index.json").read_text())["format"] == "helios-universe"
    other = tmp_path / "other"
    assert helios(capsys, "build", *SMALL, "--output", other)[0] == 0
    code, err = helios(capsys, "site", universe, "--output", other)  # a universe is not a site
    assert code == 1 and "a HELIOS universe, not a site" in err and (other / "index.json").is_file()
    code, err = helios(capsys, "site", universe, "--output", tmp_path, "--force")  # holds the universe: never
    assert code == 1 and "holds the input" in err and (universe / "index.json").is_file()
    assert helios(capsys, "site", universe, "--output", site, "--force")[0] == 0 and not (site / "notes.md").exists()


def test_file_outputs_replace_only_helios_files(tmp_path, capsys, universe):
    pack = tmp_path / "mine"
    pack.mkdir()
    (pack / "notes.bin").write_bytes(b"a user's binary")
    code, err = helios(capsys, "pack", universe, "--output", pack)
    assert code == 1 and "not a HELIOS pack" in err and (pack / "notes.bin").read_bytes() == b"a user's binary"
    fresh = tmp_path / "pack"
    assert helios(capsys, "pack", universe, "--output", fresh)[0] == 0 and is_helios_file(fresh / "shard-0000.pack.bin")
    assert helios(capsys, "pack", universe, "--output", fresh)[0] == 0  # its own pack: replaced
    selection = tmp_path / "selection.json"
    selection.write_text('{"format": "my-own"}')
    code, err = helios(capsys, "select", "--input", universe, "--all", "--output", selection)
    assert code == 1 and selection.read_text() == '{"format": "my-own"}'
    for name in ("photo.png", "flux.npy"):
        image = tmp_path / name
        image.write_bytes(b"\x89PNG\r\n\x1a\n a user's picture" if name.endswith("png") else b"not an array")
        before = image.read_bytes()
        code, err = helios(capsys, "render", universe, "--from", "sun", "--look-at", "1", "0", "0", "--size", "32", "24",
                           "--output", image)
        assert code == 1 and "not written by HELIOS" in err and image.read_bytes() == before
        image.unlink()
        assert helios(capsys, "render", universe, "--from", "sun", "--look-at", "1", "0", "0", "--size", "32", "24",
                      "--output", image)[0] == 0
        assert is_helios_file(image)
        assert helios(capsys, "render", universe, "--from", "sun", "--look-at", "1", "0", "0", "--size", "32", "24",
                      "--output", image)[0] == 0


def test_recognisers(tmp_path):
    write_json(tmp_path / "ours.json", {"format": "helios-selection"})
    assert is_helios_file(tmp_path / "ours.json")
    (tmp_path / "theirs.json").write_text('{"format": "other"}')
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    np.save(tmp_path / "image.npy", np.zeros((4, 5, 3), np.float32))
    np.save(tmp_path / "table.npy", np.zeros((4, 5), np.float32))
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "link.json").symlink_to(tmp_path / "ours.json")
    assert is_helios_file(tmp_path / "image.npy")
    for name in ("theirs.json", "list.json", "bad.json", "table.npy", "notes.txt", "link.json", "absent.json"):
        assert not is_helios_file(tmp_path / name), name
    with pytest.raises(OutputError, match="not written by HELIOS"), atomic_path(tmp_path / "notes.txt") as tmp:
        tmp.write_text("never")
    assert (tmp_path / "notes.txt").read_text() == "x" and sorted(p.name for p in tmp_path.iterdir() if ".tmp-" in p.name) == []


def test_a_file_appearing_during_the_work_is_not_overwritten(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(OutputError), atomic_path(target) as tmp:
        tmp.write_text("{}")
        target.write_text("the user's, written meanwhile")
    assert target.read_text() == "the user's, written meanwhile"
    folder = tmp_path / "site"
    with pytest.raises(OutputError), output_directory(folder, "site") as tmp:
        (tmp / "index.html").write_text("x")
        folder.mkdir()
        (folder / "theirs").write_text("meanwhile")
    assert [p.name for p in folder.iterdir()] == ["theirs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "site"]


def test_directory_atomic_path_does_not_remove_a_full_directory(tmp_path):
    cells = tmp_path / "cells"
    cells.mkdir()
    (cells / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="not an empty directory"), atomic_path(cells, directory=True):
        pass
    assert (cells / "thesis.tex").read_text() == "precious"


def test_markers(tmp_path):
    assert claim_directory(tmp_path / "new", "site") == (tmp_path / "new").resolve()
    marked = tmp_path / "marked"
    marked.mkdir()
    (marked / MARKER).write_text(json.dumps({"format": "helios-output", "kind": "site"}))
    (marked / "x").write_text("")
    assert claim_directory(marked, "site") and directory_kind(marked) == "site"
    with pytest.raises(OutputError, match="a HELIOS site, not a universe"):
        claim_directory(marked, "universe")
    (marked / MARKER).write_text("{not json")
    with pytest.raises(OutputError, match="has no"):
        claim_directory(marked, "site")


def test_training_runs_go_only_into_new_empty_or_earlier_run_directories(tmp_path, universe):
    from helios.workflow import TRAINING_RUN_KIND, run_training

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "selection.json").write_text("my own selection")
    with pytest.raises(OutputError, match="not a HELIOS training-run"):
        run_training(universe, mine, {"mode": "all"}, {}, 1, dry_run=True)
    assert [p.name for p in mine.iterdir()] == ["selection.json"]
    with pytest.raises(OutputError, match="holds the input"):
        run_training(universe, tmp_path, {"mode": "all"}, {}, 1, dry_run=True)
    run = tmp_path / "run"
    run_training(universe, run, {"mode": "all"}, {}, 1, dry_run=True)
    assert directory_kind(run) == TRAINING_RUN_KIND


def test_training_commands_refuse_before_the_work(tmp_path, capsys, universe):
    cell = sorted((universe / "cells").glob("*/*.parquet"))[0]
    (tmp_path / "out.json").write_text("my notes")
    code, err = helios(capsys, "train-cell", "--cell", cell, "--output", tmp_path / "out.ply")
    assert code == 1 and "out.json: exists and was not written by HELIOS" in err
    (tmp_path / "lv.levels.parquet").write_bytes(b"PAR1 not ours")
    code, err = helios(capsys, "levels-cell", "--cell", cell, "--output", tmp_path / "lv")
    assert code == 1 and "lv.levels.parquet: exists and was not written by HELIOS" in err
    assert (tmp_path / "out.json").read_text() == "my notes" and (tmp_path / "lv.levels.parquet").read_bytes() == b"PAR1 not ours"


KILLED_WRITE = """
import os, signal, sys
from helios.files import atomic_path
with atomic_path(sys.argv[1], directory=sys.argv[2] == "dir") as tmp:
    (tmp / "half.ply").write_text("half") if sys.argv[2] == "dir" else tmp.write_text("half")
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer or a cluster's time limit would
"""


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_a_killed_writes_temporary_is_removed_by_the_next_write(tmp_path, kind):
    import subprocess
    import sys

    target = tmp_path / ("cell.json" if kind == "file" else "job")
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(target), kind])
    assert killed.returncode == -9
    stale = [p.name for p in tmp_path.iterdir()]
    assert len(stale) == 1 and stale[0].startswith(f".{target.name}.tmp-helios-")
    # Beside it, names that are not a temporary of this target: another target's, and a user's file.
    (tmp_path / ".other.json.tmp-helios-abcd1234").write_text("another target's")
    (tmp_path / f".{target.name}.tmp-notes.txt").write_text("the user's")
    mine = tmp_path / f".{target.name}.tmp-mybackup"  # a user's directory (8 characters after tmp-), holding a user's file
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with atomic_path(target, directory=kind == "dir") as tmp:
        (tmp / "cell.ply").write_text("whole") if kind == "dir" else tmp.write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".other.json.tmp-helios-abcd1234", f".{target.name}.tmp-notes.txt",
                                                                 mine.name, target.name])
    assert (mine / "thesis.tex").read_text() == "precious"
