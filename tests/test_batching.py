import pytest

from helios.batching import plan_batches, plan_jobs, size_class


def cells(counts):
    return [{"id": cell_id, "star_count": n} for cell_id, n in counts.items()]


def test_batches_group_similar_sizes_in_id_order():
    plan = plan_batches(cells({"3_0_0": 300, "3_1_0": 400, "10_2_1": 450, "2_0_0": 3000, "4_4_2": 0, "3_2_0": 500}), 2)
    assert plan == {"s00-000": ["4_4_2"], "s09-000": ["3_0_0", "3_1_0"], "s09-001": ["3_2_0", "10_2_1"], "s12-000": ["2_0_0"]}


def test_cells_under_64_stars_share_one_class():
    assert {size_class(n) for n in (1, 2, 5, 31, 63)} == {6}
    assert size_class(64) == 7 and size_class(0) == 0
    plan = plan_batches(cells({"1_0_0": 1, "2_0_0": 40, "3_0_0": 7, "4_0_0": 64}), 64)
    assert plan == {"s06-000": ["1_0_0", "2_0_0", "3_0_0"], "s07-000": ["4_0_0"]}


def test_every_cell_in_exactly_one_batch():
    chosen = cells({f"{s}_{t}_{p}": (s * 37 + t * 11 + p) % 900 for s in range(16) for t in range(6) for p in range(3)})
    for k in (1, 3, 64):
        plan = plan_batches(chosen, k)
        members = [c for batch in plan.values() for c in batch]
        assert sorted(members) == sorted(c["id"] for c in chosen)
        assert all(1 <= len(batch) <= k for batch in plan.values())
        for batch in plan.values():
            sizes = [next(c["star_count"] for c in chosen if c["id"] == m) for m in batch]
            assert len({size_class(n) for n in sizes}) == 1


def test_a_new_cell_moves_only_its_own_size_class():
    before = plan_batches(cells({"1_0_0": 70, "2_0_0": 71, "3_0_0": 200, "4_0_0": 201, "5_0_0": 202}), 2)
    after = plan_batches(cells({"1_0_0": 70, "2_0_0": 71, "3_0_0": 200, "4_0_0": 201, "5_0_0": 202, "0_0_0": 72}), 2)
    assert {k: v for k, v in after.items() if k.startswith("s08")} == {k: v for k, v in before.items() if k.startswith("s08")}
    assert {k: v for k, v in after.items() if k.startswith("s07")} != {k: v for k, v in before.items() if k.startswith("s07")}


def test_bad_batch_size():
    with pytest.raises(ValueError):
        plan_batches([], 0)


def test_a_wider_class_merges_neighbouring_size_classes():
    sizes = {"1_0_0": 10, "2_0_0": 70, "3_0_0": 200, "4_0_0": 300, "5_0_0": 1000, "6_0_0": 5000}
    assert [size_class(n, 2) for n in sizes.values()] == [6, 7, 7, 9, 9, 13]
    assert size_class(0, 2) == 0 and all(size_class(n, 1) == size_class(n) for n in sizes.values())
    plan = plan_batches(cells(sizes), 64, class_width=2)
    assert plan == {"s06-000": ["1_0_0"], "s07-000": ["2_0_0", "3_0_0"], "s09-000": ["4_0_0", "5_0_0"], "s13-000": ["6_0_0"]}
    assert len(plan_batches(cells(sizes), 64, class_width=99)) == 2  # the small cells, and all others


def test_one_job_per_cell_is_named_by_the_cell():
    cells = [{"id": "3_0_1", "star_count": 5}, {"id": "2_1_0", "star_count": 900}]
    assert plan_jobs(cells, 1) == {"3_0_1": ["3_0_1"], "2_1_0": ["2_1_0"]}
    assert plan_jobs(cells, 2) == plan_batches(cells, 2)
