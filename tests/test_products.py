"""The products a cell can become, chosen in one place (helios.products)."""

import pytest

from helios.errors import HeliosError
from helios.lod.product import LevelsProduct
from helios.products import PRODUCTS, Product, product, product_of
from helios.seed.product import SplatsProduct
from tests.conftest import TINY_TRAIN


def test_each_ground_truth_is_one_product_class():
    assert isinstance(product("levels"), LevelsProduct)
    assert isinstance(product("starfield"), SplatsProduct) and product("starfield").name == "starfield"
    assert isinstance(product("splats"), SplatsProduct) and product("splats").name == "splats"
    assert product_of({"ground_truth": "levels"}).rule == "train_levels"
    assert all(isinstance(product(name), Product) for name in PRODUCTS)


def test_an_unknown_ground_truth_names_the_choices():
    with pytest.raises(HeliosError, match=r"train.ground_truth 'stars': not a product \(choose one of levels, starfield, splats\)"):
        product("stars")


def test_a_cells_files_lie_under_its_job():
    assert product("levels").stem("3_0_1", "3_0_1") == "levels/3_0_1/3_0_1"
    assert product("starfield").stem("s06-000", "3_0_1") == "splats/s06-000/3_0_1"


def test_what_a_trained_cell_depends_on():
    config = {"train": {**TINY_TRAIN, "seed": 7}, "levels": {"iterations": 3}}
    # The levels depend on the seed alone of the train: section, so the seed trainer's options retrain nothing.
    assert product("levels").trained_from(config) == {"train": {"ground_truth": "levels", "seed": 7}, "levels": {"iterations": 3}}
    assert product("starfield").trained_from(config) == {"train": config["train"]}


def test_the_seed_trainer_refuses_what_it_cannot_run():
    train = {**TINY_TRAIN, "densify_from": 10, "densify_until": 100}
    product("starfield").check_config({"train": train})
    with pytest.raises(HeliosError, match="train_jobs.batch_cells 4 trains cells in batches, which cannot densify"):
        product("starfield").check_config({"train": train, "train_jobs": {"batch_cells": 4}})
    with pytest.raises(HeliosError, match="iterations"):
        product("starfield").check_config({"train": {**TINY_TRAIN, "iterations": -1}})
    product("levels").check_config({"train": train, "train_jobs": {"batch_cells": 4}})  # levels batches need no densification


def test_gpus_asked_by_default():
    assert product("levels").default_gpus({"train": {"backend": "auto"}}) == 0
    assert product("starfield").default_gpus({"train": {"backend": "auto"}}) == 1
    assert product("starfield").default_gpus({"train": {"backend": "torch"}}) == 0
