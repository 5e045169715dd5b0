"""Checks on the real third-party data in ../shared/data (skipped when it is absent)."""

import csv

import numpy as np
import pytest

from conftest import shared_data
from xmodal.datasets.flickr8k import write_flickr8k_manifest
from xmodal.datasets.manifest import read_manifest
from xmodal.datasets.wikipedia import wikipedia_collection
from xmodal.evaluation.protocol import evaluate_pipeline
from xmodal.pipeline import Pipeline
from xmodal.projection.selection import CCACV


def test_wikipedia_cv_chosen_cca_matches_the_published_cca():
    collection = wikipedia_collection(shared_data("wikipedia"))
    assert collection.subset("train").n_images == 2173 and collection.subset("test").n_images == 693
    ev = evaluate_pipeline(Pipeline(None, None, CCACV()), collection)
    # published CCA (Rasiwasia et al. 2010): 0.249 image query / 0.196 text query
    assert ev.directions["image->text"]["MAP"] >= 0.245
    assert ev.directions["text->image"]["MAP"] >= 0.190
    assert ev.relevance == "label" and ev.directions["image->text"]["n_queries"] == 693


def test_flickr8k_manifest_script_split(tmp_path):
    source = shared_data("flickr8k-1k")
    counts = write_flickr8k_manifest(source, tmp_path / "f.csv", seed=0)
    assert counts == {"train images": 800, "test images": 200, "rows": 5000}
    c = read_manifest(tmp_path / "f.csv", check_images=False)
    assert c.n_images == 1000 and c.n_texts == 5000
    assert (c.splits == "test").sum() == 200
    assert np.all(np.bincount(c.text_image) == 5)
    again = write_flickr8k_manifest(source, tmp_path / "g.csv", seed=0)
    assert (tmp_path / "f.csv").read_bytes() == (tmp_path / "g.csv").read_bytes() and again == counts


def test_noto_emoji_manifest_reads_alpha_pngs():
    folder = shared_data("noto-emoji")
    c = read_manifest(folder / "manifest.csv")
    assert c.n_images == 1906 and len(set(c.labels)) == 9
    assert set(c.splits) == {"train", "test"} and "subcategory" in c.metadata
    sub = read_manifest(folder / "manifest.csv", label_column="subcategory", check_images=False)
    assert len(set(sub.labels)) > 50
