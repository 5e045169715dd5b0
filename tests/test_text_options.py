"""The text stage's command-line options, alone and inside ``xmodal evaluate``."""

import argparse

import pytest


def parse(argv):
    from xmodal.text import options

    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    options.add_arguments(parser)
    args = parser.parse_args(argv)
    return options.from_arguments(args)


def test_options_build_the_encoder(tmp_path):
    from xmodal.text.tokenize import WordTokenizer

    enc = parse([])
    assert enc.features == "tfidf" and enc.tokenizer is None
    stop = tmp_path / "stop.txt"
    stop.write_text("的\n了\n", encoding="utf-8")
    enc = parse(["--text-features", "tfidf+glove-sif+lda", "--sif-a", "0.01", "--lda-topics", "20",
                 "--stop-words", str(stop), "--text-numbers", "keep", "--empty-text", "raise", "--seed", "3"])
    assert enc.features == "tfidf+glove-sif+lda" and enc.sif_a == 0.01 and enc.n_topics == 20
    assert enc.on_empty == "raise" and enc.seed == 3
    assert isinstance(enc.tokenizer, WordTokenizer)
    assert enc.tokenizer("我的猫 3") == ["我", "我的", "的猫", "猫", "3"]  # the stop word "的" alone is dropped
    assert parse(["--stop-words", "none"]).tokenizer("the cat") == ["the", "cat"]
    with pytest.raises(ValueError, match="neither 'english', 'none' nor a file"):
        parse(["--stop-words", str(tmp_path / "missing.txt")])


def test_options_reject_unknown_features(capsys):
    with pytest.raises(SystemExit):
        parse(["--text-features", "tfidf+bert"])
    assert "unknown text feature 'bert'" in capsys.readouterr().err


def test_evaluate_command_reaches_the_text_encoder():
    from xmodal.cli import build_parser
    from xmodal.text import options

    args = build_parser().parse_args(["evaluate", "--manifest", "m.csv", "--text-features", "tfidf+glove-sif",
                                      "--sif-a", "0.1"])
    enc = options.from_arguments(args)
    assert enc.features == "tfidf+glove-sif" and enc.sif_a == 0.1 and enc.seed == args.seed
