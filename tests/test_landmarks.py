import json
from collections import Counter

import pytest

from helios.errors import LandmarkError
from helios.landmarks import CATEGORIES, load_landmarks


def test_builtin_set_is_complete():
    landmarks = load_landmarks()
    assert len(landmarks) == 325
    counts = Counter(lm.category for lm in landmarks)
    assert counts["galaxy"] == 79 and counts["planet"] == 8 and counts["spacecraft"] == 5 and counts["sun"] == 1
    assert set(counts) <= set(CATEGORIES)
    assert all(lm.source for lm in landmarks)
    assert len({lm.name for lm in landmarks}) == 325
    sun = next(lm for lm in landmarks if lm.category == "sun")
    assert sun.xyz == (0.0, 0.0, 0.0)


def write(tmp_path, document):
    path = tmp_path / "marks.json"
    path.write_text(json.dumps(document))
    return path


GOOD = {"name": "Home", "category": "sun", "x_pc": 0, "y_pc": 0, "z_pc": 0, "source": "here"}


def test_user_file(tmp_path):
    landmarks = load_landmarks(write(tmp_path, {"landmarks": [GOOD, dict(GOOD, name="Away", x_pc=5.5)]}))
    assert [lm.name for lm in landmarks] == ["Home", "Away"] and landmarks[1].x_pc == 5.5


BAD = dict(GOOD, name="Bad")


@pytest.mark.parametrize(
    "entry, message",
    [
        ({k: v for k, v in BAD.items() if k != "z_pc"}, r"entry 1 \('Bad'\): 'z_pc' is a required property"),
        (dict(BAD, x_pc="far"), r"entry 1 \('Bad'\): x_pc: 'far' is not of type 'number'"),
        (dict(BAD, category="comet"), r"entry 1 \('Bad'\): category: 'comet' is not one of"),
        (dict(BAD, y_pc=float("inf")), r"entry 1 \('Bad'\): y_pc must be a finite number"),
        (dict(GOOD), r"entry 1 \('Home'\): the name is already used by entry 0"),
        ("M 31", r"entry 1: 'M 31' is not of type 'object'"),
    ],
)
def test_bad_entries_are_named(tmp_path, entry, message):
    path = tmp_path / "marks.json"
    path.write_text(json.dumps({"landmarks": [GOOD, entry]}))
    with pytest.raises(LandmarkError, match=message):
        load_landmarks(path)


def test_file_level_errors(tmp_path):
    with pytest.raises(LandmarkError, match="no such landmarks file"):
        load_landmarks(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(LandmarkError, match="not valid JSON"):
        load_landmarks(tmp_path / "bad.json")
    with pytest.raises(LandmarkError, match="'landmarks' is a required property"):
        load_landmarks(write(tmp_path, {"stars": []}))
    with pytest.raises(LandmarkError, match="list is empty"):
        load_landmarks(write(tmp_path, {"landmarks": []}))


def test_find_landmark_by_name_or_unique_start():
    import pytest

    from helios.errors import LandmarkError
    from helios.landmarks import find_landmark, load_landmarks

    marks = load_landmarks()
    assert find_landmark(marks, "betelgeuse").name == "Betelgeuse (HIP 27989)"
    assert find_landmark(marks, "M 45 (Pleiades)").name == "M 45 (Pleiades)"
    with pytest.raises(LandmarkError, match="landmarks start so"):
        find_landmark(marks, "M")
    with pytest.raises(LandmarkError, match="did you mean M 45"):
        find_landmark(marks, "Pleiades")
