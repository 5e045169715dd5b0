"""Gallery over search.index.Index: exact below approximate_from, the approximate backend above it,
the exact buffer after a build, threshold queries, and persistence through the model folder."""

import json

import numpy as np
import pytest

from xmodal.gallery import Gallery
from xmodal.persistence import ModelFileError, load_object, save_object
from xmodal.search.exact import ExactIndex


def clustered(n, d=16, seed=0):
    """Points around 30 centres, like real embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((30, d))
    return (centres[rng.integers(0, 30, n)] + 0.35 * rng.standard_normal((n, d))).astype(np.float32)


def gallery_of(X, start=0, **params):
    g = Gallery("image", **params)
    g.add(X, ids=[f"im{i}" for i in range(start, start + len(X))], metadata={"path": [f"p{i}" for i in range(len(X))]})
    return g


def answers(g, Q, **kwargs):
    return [(r.ids.tolist(), r.scores.tolist(), r.metadata) for r in g.search(Q, **kwargs)]


def test_small_gallery_is_exactly_the_exact_index():
    X = clustered(400, d=8)
    X[10] = X[11]  # a tie, broken by insertion order as before
    g = gallery_of(X)
    assert g.index.backend_ == "exact" and g.index.n_built_ == 0  # below approximate_from: never built
    Q = np.vstack([clustered(20, d=8, seed=1), X[11]])
    reference = ExactIndex(metric="cosine")
    reference.add(X)
    ref_rows, ref_scores = reference.search(Q, k=7)
    for hit, rows, scores in zip(g.search(Q, k=7), ref_rows, ref_scores):
        assert hit.ids.tolist() == [f"im{r}" for r in rows] and np.array_equal(hit.scores, scores)
    cut = float(reference.search(Q[:1], k=4)[1][0, 3])  # one query: the tiles a one-query search uses
    radius_rows, radius_scores = reference.search_radius(Q[:1], cut)
    every = g.search(Q[:1], k=None, threshold=cut)[0]
    assert every.ids.tolist() == [f"im{r}" for r in radius_rows[0]] and np.array_equal(every.scores, radius_scores[0])
    assert len(every) == 4 and answers(g, Q[:1], k=2, threshold=cut)[0][0] == every.ids[:2].tolist()


@pytest.mark.parametrize("backend", ["annoy", "lsh"])
def test_large_gallery_uses_the_approximate_backend_and_finds_each_item_first(backend):
    X = clustered(3000)
    g = gallery_of(X, approximate_from=1000, backend=backend, tuning_size=100)
    assert g.index.backend_ == backend and g.index.n_built_ == 3000
    probe = np.arange(0, 3000, 37)
    for i, hit in zip(probe, g.search(X[probe], k=5)):
        assert hit.ids[0] == f"im{i}" and hit.scores[0] == pytest.approx(1.0, abs=1e-5)
        assert hit.metadata[0]["path"] == f"p{i}"
    # threshold queries stay exact: the same hits as an exact gallery
    exact = gallery_of(X)
    assert answers(g, X[:3], k=None, threshold=0.9) == answers(exact, X[:3], k=None, threshold=0.9)


def test_auto_builds_from_approximate_from_and_rebuilds_when_the_buffer_is_half_the_built_part():
    X = clustered(1700)
    g = gallery_of(X[:999], approximate_from=1000, target_recall=1.0)  # "auto" without timing: exact
    assert g.index.n_built_ == 0
    g.add(X[999:1000], ids=["im999"])
    assert g.index.n_built_ == 1000 and g.index.selection_ == {"chosen": "exact", "reason": "target_recall is 1.0"}
    g.add(X[1000:1499], ids=[f"im{i}" for i in range(1000, 1499)])
    assert g.index.n_built_ == 1000 and g.index.n_buffered == 499
    g.add(X[1499:1500], ids=["im1499"])
    assert g.index.n_built_ == 1500 and g.index.n_buffered == 0


def test_items_added_after_a_build_are_found_and_metadata_columns_line_up():
    X, extra = clustered(3000), clustered(200, seed=5)
    g = gallery_of(X, approximate_from=1000, backend="annoy", tuning_size=100)
    g.add(extra, ids=[f"new{i}" for i in range(200)], metadata={"caption": ["c"] * 200})
    assert g.index.n_buffered == 200 and g.index.backend_ == "annoy"
    for i, hit in zip(range(0, 200, 9), g.search(extra[::9], k=3)):
        assert hit.ids[0] == f"new{i}" and hit.metadata[0] == {"path": "", "caption": "c"}
    assert g.search(X[[5]], k=1)[0].metadata[0] == {"path": "p5", "caption": ""}


@pytest.mark.parametrize("backend", ["exact", "annoy", "lsh"])
def test_save_load_answers_identically_and_keeps_growing(tmp_path, backend):
    X, extra = clustered(3000), clustered(300, seed=7)
    g = gallery_of(X, approximate_from=1000, backend=backend, tuning_size=100)
    g.add(extra[:100], ids=[f"new{i}" for i in range(100)])  # in the exact buffer when saved
    Q = np.vstack([X[::97], extra[:100:7], clustered(10, seed=9)])
    save_object(g, tmp_path / "g")
    document = json.loads((tmp_path / "g" / "model.json").read_text())
    folder = tmp_path / "g" / "files" / document["files"][0]
    assert (folder / "index.json").is_file() and ((folder / "annoy.ann").is_file() == (backend == "annoy"))
    back = load_object(tmp_path / "g")
    assert isinstance(back, Gallery) and back.index.backend_ == g.index.backend_ and len(back) == 3100
    assert back.index.n_built_ == g.index.n_built_ and back.index.effort_ == g.index.effort_
    assert answers(back, Q, k=10) == answers(g, Q, k=10)
    assert answers(back, Q[:5], k=None, threshold=0.8) == answers(g, Q[:5], k=None, threshold=0.8)
    for gallery in (g, back):  # both grow alike; each can be saved again (the Annoy file moved with its folder)
        gallery.add(extra[100:], ids=[f"new{i}" for i in range(100, 300)])
    assert answers(back, Q, k=10) == answers(g, Q, k=10)
    save_object(g, tmp_path / "again")
    save_object(back, tmp_path / "g")  # over the folder it was loaded from
    assert answers(load_object(tmp_path / "g"), Q, k=10) == answers(load_object(tmp_path / "again"), Q, k=10)


def test_empty_gallery_round_trips(tmp_path):
    save_object(Gallery("text"), tmp_path / "e")
    back = load_object(tmp_path / "e")
    back.add(np.eye(2), ids=["a", "b"], metadata={"text": ["x", "y"]})
    assert back.search(np.array([[0.0, 1.0]]), k=1)[0].ids.tolist() == ["b"]


def test_a_model_saved_when_galleries_held_an_exact_index_still_loads(tmp_path, monkeypatch):
    X = clustered(50, d=4)
    old = ExactIndex(metric="cosine")
    old.add(X, ids=np.arange(50))
    legacy = Gallery.__new__(Gallery)
    legacy.__dict__.update(modality="text", index=old, ids=np.asarray([f"t{i}" for i in range(50)]),
                           metadata={"text": np.asarray([f"x{i}" for i in range(50)])})
    with monkeypatch.context() as patch:
        patch.delattr(Gallery, "_save_files")  # the old layout: every attribute walked
        save_object(legacy, tmp_path / "old")
    back = load_object(tmp_path / "old")
    rows, scores = old.search(X[:5], k=4)
    for hit, r, s in zip(back.search(X[:5], k=4), rows, scores):
        assert hit.ids.tolist() == [f"t{i}" for i in r] and np.array_equal(hit.scores, s)
    back.add(X[:1], ids=["again"])
    assert len(back) == 51 and back.search(X[:1], k=2)[0].ids.tolist() == ["t0", "again"]


def test_damaged_gallery_folders_give_clear_errors(tmp_path):
    save_object(gallery_of(clustered(20, d=4)), tmp_path / "m")
    folder = next((tmp_path / "m" / "files").iterdir())
    (folder / "vectors.npy").write_bytes((folder / "vectors.npy").read_bytes()[:-8])
    with pytest.raises(ModelFileError, match="vectors.npy: .*truncated"):
        load_object(tmp_path / "m")
    import shutil

    shutil.rmtree(folder)
    with pytest.raises(ModelFileError, match="folder missing"):
        load_object(tmp_path / "m")


def test_bad_parameters():
    with pytest.raises(ValueError, match="approximate_from must be an int >= 10"):
        Gallery("text", approximate_from=0)
    with pytest.raises(ValueError, match="cosine"):
        Gallery("text", metric="l1")
    with pytest.raises(ValueError, match="backend must be one of"):
        Gallery("text", backend="faiss")
