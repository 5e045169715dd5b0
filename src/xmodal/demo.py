"""``xmodal demo``: the whole pipeline on an embedded, generated corpus, with no download."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def run_demo(out_dir="xmodal-demo", n_images=400, seed=0, echo=print, progress=True) -> dict:
    """Generate a captioned shapes corpus, fit the default pipeline, query it, evaluate it.

    Steps: :func:`~xmodal.datasets.synthetic.make_shapes_corpus` draws ``n_images`` scenes with
    three captions each; a seeded 75/25 split by image; the default pipeline (dense SIFT BoVW +
    HSV histogram, word TF-IDF, CCA chosen by cross-validation on the training split) is fitted;
    the test images go into an exact cosine index; a few text->image and image->text queries are
    shown; MAP and Recall@K are printed beside chance; a PNG grid of query results is written.

    Parameters
    ----------
    out_dir : str or Path
        Folder for ``results.png`` (created if needed).
    n_images : int
        Corpus size.
    seed : int
        Seed of the corpus, split, codebook and cross-validation.
    echo : callable
        Where the report lines go (``print`` on the command line).
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        ``{"evaluation": Evaluation (relevance = same scene type), "pairs": (reports, chance) with
        relevance = the caption's own image, "grid": Path, "seconds": float}``.
    """
    from xmodal.datasets.collection import Collection
    from xmodal.datasets.synthetic import make_shapes_corpus
    from xmodal.evaluation.grid import write_result_grid
    from xmodal.evaluation.protocol import evaluate_pipeline, rank_all_directions
    from xmodal.evaluation.report import format_table, format_timings
    from xmodal.pipeline import Pipeline, default_image_encoder
    from xmodal.search.exact import ExactIndex

    start = time.perf_counter()
    corpus = make_shapes_corpus(n_images=n_images, captions_per_image=3, seed=seed)
    texts = [c for caps in corpus.captions for c in caps]
    text_image = np.repeat(np.arange(len(corpus)), [len(c) for c in corpus.captions])
    collection = Collection(images=corpus.images, texts=texts, text_image=text_image,
                            labels=np.array(corpus.labels)).with_random_split(0.25, seed=seed)
    echo(f"corpus: {collection.n_images} generated images, {collection.n_texts} captions, "
         f"{len(corpus.label_names)} scene types ({', '.join(corpus.label_names)})")
    pipeline = Pipeline(image_encoder=default_image_encoder(seed=seed, progress=progress))
    evaluation = evaluate_pipeline(pipeline, collection)
    test = collection.subset("test")
    echo(f"fitted on {evaluation.counts['train images']} images / {evaluation.counts['train texts']} captions; "
         f"projection chosen by 3-fold CV on the training split: {pipeline.projection.best_params_}")

    image_index = ExactIndex(metric="cosine")
    image_index.add(evaluation.image_embeddings, ids=np.arange(test.n_images))
    text_index = ExactIndex(metric="cosine")
    text_index.add(evaluation.text_embeddings, ids=np.arange(test.n_texts))
    rows = []
    queries = ["a big red circle", "a blue star on a striped background", "a small green triangle"]
    hit_ids, hit_scores = image_index.search(pipeline.embed_texts(queries), k=5)
    for query, ids, scores in zip(queries, hit_ids, hit_scores):
        echo(f'\ntext -> image  "{query}"')
        for rank, (i, s) in enumerate(zip(ids, scores), 1):
            echo(f"  {rank}. image #{i:<4} {s:+.3f}  scene type: {test.labels[i]}")
        wanted = query.split()[-1]
        rows.append({"query": query,
                     "results": [(test.images[i], float(s), wanted in test.labels[i]) for i, s in zip(ids, scores)]})
    for i in range(2):
        ids, scores = text_index.search(evaluation.image_embeddings[i:i + 1], k=3)
        echo(f"\nimage -> text  image #{i} (scene type: {test.labels[i]}; caption: \"{test.texts[np.flatnonzero(test.text_image == i)[0]]}\")")
        for rank, (j, s) in enumerate(zip(ids[0], scores[0]), 1):
            echo(f"  {rank}. {s:+.3f}  \"{test.texts[j]}\"")
        rows.append({"query": test.images[i],
                     "results": [(test.texts[j], float(s), test.labels[test.text_image[j]] == test.labels[i])
                                 for j, s in zip(ids[0], scores[0])]})
    pairs, pairs_chance = rank_all_directions(evaluation.image_embeddings, evaluation.text_embeddings,
                                              test.text_image)
    echo(f"\nretrieval on the {test.n_images} test images / {test.n_texts} captions "
         "(chance = expected value of a random ranking)")
    echo("relevant = the caption's own image:")
    echo(format_table(pairs, pairs_chance))
    echo("relevant = same scene type (kind of the largest shape):")
    echo(format_table(evaluation.directions, evaluation.chance))
    echo(f"time: {format_timings(evaluation.timings)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    grid = write_result_grid(out_dir / "results.png", rows)
    seconds = time.perf_counter() - start
    echo(f"\nwrote {grid} (green border: relevant, red: not); total {seconds:.1f} s")
    return {"evaluation": evaluation, "pairs": (pairs, pairs_chance), "grid": grid, "seconds": seconds}
