"""Project files that must agree with each other."""

import re
import tomllib
from dataclasses import fields

import yaml

from helios.grid import Grid
from helios.ingest import IngestOptions
from helios.lod.levels import LevelOptions
from helios.seed.training import TrainOptions
from tests.conftest import REPO

# conda-forge name -> PyPI name where they differ
CONDA_TO_PYPI = {"pytorch": "torch"}


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].strip().lower()


def test_environment_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {requirement_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    have = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {requirement_name(r) for r in dep["pip"]}
        elif requirement_name(dep) not in ("python", "pip"):
            have.add(CONDA_TO_PYPI.get(requirement_name(dep), requirement_name(dep)))
    assert have == wanted


def test_schema_defaults_match_the_code_defaults():
    schema = yaml.safe_load((REPO / "config" / "config.schema.yaml").read_text())
    catalog = schema["properties"]["catalog"]["properties"]
    for field in fields(IngestOptions):  # the catalogue's options, and the universe's epoch at the top level
        spec = schema["properties"]["epoch"] if field.name == "epoch" else catalog[field.name]
        assert spec["default"] == field.default, field.name
    grid = schema["properties"]["grid"]["properties"]
    assert {name: spec["default"] for name, spec in grid.items()} == Grid().as_dict()
    train = schema["properties"]["train"]["properties"]
    assert set(train) == {field.name for field in fields(TrainOptions)}  # the train: section is the trainer's options, no more
    for field in fields(TrainOptions):
        # ground_truth: the workflow's default (levels) is not the splat trainer's (starfield), which trains the other two.
        expected = "levels" if field.name == "ground_truth" else field.default
        assert train[field.name]["default"] == expected, field.name
        assert train[field.name].get("description"), f"train.{field.name} has no description (the CLI help comes from it)"
    levels = schema["properties"]["levels"]["properties"]
    assert set(levels) == {field.name for field in fields(LevelOptions)}
    for field in fields(LevelOptions):
        default = list(field.default) if isinstance(field.default, tuple) else field.default
        assert levels[field.name]["default"] == default, field.name
        assert levels[field.name].get("description"), f"levels.{field.name} has no description"


def test_default_config_is_valid_and_complete():
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(config, str(REPO / "config" / "config.schema.yaml"))
    schema = yaml.safe_load((REPO / "config" / "config.schema.yaml").read_text())
    for section in ("catalog", "grid", "select", "train", "levels", "train_jobs"):
        assert set(config[section]) == set(schema["properties"][section]["properties"]), section


def test_a_wheel_carries_every_file_of_the_package(tmp_path):
    """A non-editable install (a wheel) holds every non-Python file under helios/ (the data, the CUDA kernel's source)."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"
    shutil.copytree(REPO / "helios", source / "helios", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(source),
                            "-w", str(tmp_path / "wheel")], capture_output=True, text=True, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    names = set(zipfile.ZipFile(next((tmp_path / "wheel").glob("helios-*.whl"))).namelist())
    wanted = {path.relative_to(source).as_posix() for path in (source / "helios").rglob("*") if path.is_file() and path.suffix != ".py"}
    assert wanted and "helios/seed/accel/csrc/fused_ssim.cu" in wanted
    assert wanted <= names, f"missing from the wheel: {sorted(wanted - names)}"
