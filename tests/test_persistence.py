import json

import numpy as np
import pytest
from scipy import sparse

from xmodal.persistence import ModelFileError, load_object, save_object
from xmodal.projection.cca import CCA
from xmodal.text.encoder import TextEncoder


def fitted_cca():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(40, 2))
    return CCA(n_components=2).fit(z @ rng.normal(size=(2, 5)), z @ rng.normal(size=(2, 4)))


def test_round_trip_of_nested_objects_and_values(tmp_path):
    enc = TextEncoder(min_df=1).fit(["a red car", "a blue bus", "red buses"])
    payload = {"enc": enc, "tuple": (1, 2.5, "x"), "set": {3, 1}, "nan": float("nan"), "int_keys": {1: "a"},
               "sparse": sparse.random(4, 6, density=0.3, format="csr", random_state=0), "dtype": np.dtype("float32")}
    obj = TextEncoder()
    obj.extra_ = payload  # any attribute of an allowed object is walked
    save_object(obj, tmp_path / "m")
    back = load_object(tmp_path / "m")
    got = back.extra_
    assert got["tuple"] == (1, 2.5, "x") and got["set"] == {1, 3} and np.isnan(got["nan"])
    assert got["int_keys"] == {1: "a"} and got["dtype"] == np.float32
    assert (got["sparse"] != payload["sparse"]).nnz == 0
    texts = ["red car", "a bus"]
    assert (got["enc"].transform(texts) != enc.transform(texts)).nnz == 0


def test_arrays_are_memory_mapped_and_model_json_has_no_pickle(tmp_path):
    model = fitted_cca()
    save_object(model, tmp_path / "m")
    back = load_object(tmp_path / "m")
    assert isinstance(back.image_weights_, np.memmap)
    assert isinstance(load_object(tmp_path / "m", mmap=False).image_weights_, np.ndarray)
    np.testing.assert_array_equal(back.image_weights_, model.image_weights_)
    document = json.loads((tmp_path / "m" / "model.json").read_text())
    assert document["format"] == "xmodal.model" and document["root"]["__object__"] == "xmodal.projection.cca.CCA"


def test_replacing_is_atomic_and_refuses_foreign_folders(tmp_path):
    save_object(fitted_cca(), tmp_path / "m")
    save_object(fitted_cca(), tmp_path / "m")  # replacing a model is fine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary or old folder left
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not an xmodal model directory"):
        save_object(fitted_cca(), tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_unsaveable_objects_fail_before_anything_is_written(tmp_path):
    obj = TextEncoder()
    obj.callback_ = lambda x: x
    with pytest.raises(TypeError, match="cannot save a builtins.function"):
        save_object(obj, tmp_path / "m")
    assert not (tmp_path / "m").exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("damage, pattern", [
    (lambda d: (d / "model.json").unlink(), "model.json is missing"),
    (lambda d: (d / "model.json").write_text("{broken"), "not valid JSON"),
    (lambda d: next((d / "arrays").iterdir()).unlink(), "array file missing"),
    (lambda d: np.save(sorted((d / "arrays").iterdir())[0], np.zeros(3)), "the model expects"),
    (lambda d: _edit(d, lambda doc: doc.update(version=99)), "newer than this xmodal reads"),
    (lambda d: _edit(d, lambda doc: doc["root"].update({"__object__": "os.system"})), "not one xmodal loads"),
    (lambda d: _edit(d, lambda doc: doc["root"].update({"__object__": "xmodal.nothing.Here"})), "no longer exists"),
    (lambda d: _edit(d, lambda doc: doc["root"]["state"].update(x={"__array__": "../../etc/passwd"})), "not listed"),
])
def test_damaged_model_directories_give_clear_errors(tmp_path, damage, pattern):
    save_object(fitted_cca(), tmp_path / "m")
    damage(tmp_path / "m")
    with pytest.raises(ModelFileError, match=pattern):
        load_object(tmp_path / "m")


def _edit(directory, change):
    document = json.loads((directory / "model.json").read_text())
    change(document)
    (directory / "model.json").write_text(json.dumps(document))
