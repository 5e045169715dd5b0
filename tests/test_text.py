import numpy as np
import pytest
import scipy.sparse as sp

from xmodal.text.encoder import TextEncoder
from xmodal.text.features import FEATURES, parse_features
from xmodal.text.tokenize import NUMBER_TOKEN, WordTokenizer, char_ngrams

# --------------------------------------------------------------------------------------------------
# Tokeniser
# --------------------------------------------------------------------------------------------------


def test_english_words_normalisation_and_punctuation():
    tok = WordTokenizer()
    assert tok("The DOG's ball, 3 times!") == ["dog", "ball", "times"]  # possessive, stop words, number dropped
    assert tok("ＤＯＧ-width café") == ["dog", "width", "café"]  # NFKC full-width, hyphen separates
    assert tok("Straße") == ["strasse"]  # Unicode case folding, not just lower()
    assert tok("cafe\u0301") == ["café"]  # a combining accent is composed by NFKC and stays in the word
    assert tok("o'neill's dogs' t-shirt") == ["o'neill", "dogs", "t", "shirt"]
    assert tok("...!?;:()[]\"") == []
    assert WordTokenizer(strip_possessive=False)("dog's") == ["dog's"]
    assert WordTokenizer(lowercase=False, stop_words=None)("The Dog") == ["The", "Dog"]


def test_numbers_are_dropped_kept_or_masked():
    text = "3 dogs, 1,000 cats, 3.5 kg, mp3 2010s"
    assert WordTokenizer(numbers="drop")(text) == ["dogs", "cats", "kg", "mp3", "2010s"]
    assert WordTokenizer(numbers="keep")(text) == ["3", "dogs", "1,000", "cats", "3.5", "kg", "mp3", "2010s"]
    masked = WordTokenizer(numbers="mask")(text)
    assert masked == [NUMBER_TOKEN, "dogs", NUMBER_TOKEN, "cats", NUMBER_TOKEN, "kg", "mp3", "2010s"]
    assert WordTokenizer(numbers="keep")("１２３") == ["123"]  # full-width digits through NFKC


def test_unsegmented_scripts_give_character_unigrams_and_bigrams():
    tok = WordTokenizer()
    assert tok("猫在沙发上") == ["猫", "猫在", "在", "在沙", "沙", "沙发", "发", "发上", "上"]
    assert tok("ねこ") == ["ね", "ねこ", "こ"]  # Hiragana
    assert tok("ｶﾀｶﾅ") == ["カ", "カタ", "タ", "タカ", "カ", "カナ", "ナ"]  # half-width Katakana, NFKC
    assert tok("한국 어") == ["한", "한국", "국", "어"]  # Hangul; the space ends a run
    # Thai: tone and vowel marks stay on their consonant; no word spaces needed
    assert tok("ไก่") == ["ไ", "ไก่", "ก่"]
    assert WordTokenizer(ngram_range=(2, 2))("猫在家") == ["猫在", "在家"]
    assert char_ngrams(["a"], (1, 3)) == ["a"]


def test_mixed_scripts_and_other_alphabets():
    tok = WordTokenizer()
    assert tok("iPhone手机 is great") == ["iphone", "手", "手机", "机", "great"]
    assert tok("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # Devanagari vowel signs are marks, kept in the word
    assert tok("Привет, МИР") == ["привет", "мир"]
    assert tok("ελληνικά") == ["ελληνικά"]


def test_empty_whitespace_emoji_and_symbols():
    tok = WordTokenizer()
    for text in ["", "   \t\n ", "🙂🙂", "👍🏽 🎉", "\u200b\u200d"]:
        assert tok(text) == []
    kept = WordTokenizer(symbols="keep")("a 🐈 and 👍🏽!")
    assert kept == ["🐈", "👍"]  # "a", "and" are stop words; the skin-tone modifier is dropped


def test_stop_words_are_configurable():
    assert WordTokenizer(stop_words=["DOG"])("the Dog") == ["the"]  # own list replaces English; case-folded
    assert WordTokenizer(stop_words=["的"], ngram_range=(1, 1))("我的猫") == ["我", "猫"]
    assert WordTokenizer(stop_words=None)("the dog") == ["the", "dog"]


def test_very_long_text():
    unit = "A dog runs on grass; 一只猫. "
    text = unit * (1_000_000 // len(unit) + 1)  # about 1 MB of characters
    tokens = WordTokenizer()(text)
    n = text.count(unit)
    assert len(tokens) == n * (3 + 5)  # dog runs grass + 一 一只 只 只猫 猫
    assert tokens[:8] == ["dog", "runs", "grass", "一", "一只", "只", "只猫", "猫"]
    enc = TextEncoder("tfidf+lda", min_df=1, n_topics=2).fit(["a dog runs", "a cat sleeps", "一只猫"])
    X = enc.transform([text]).toarray()
    assert X.shape[0] == 1 and np.isfinite(X).all() and np.linalg.norm(X) == pytest.approx(1.0, rel=1e-5)


def test_tokenizer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="stop_words"):
        WordTokenizer(stop_words="french")
    with pytest.raises(ValueError, match="numbers"):
        WordTokenizer(numbers="spell")
    with pytest.raises(ValueError, match="symbols"):
        WordTokenizer(symbols="maybe")
    with pytest.raises(ValueError, match="ngram_range"):
        WordTokenizer(ngram_range=(2, 1))
    with pytest.raises(TypeError, match="expected a str"):
        WordTokenizer()(None)


# --------------------------------------------------------------------------------------------------
# TextEncoder: TF-IDF, LDA, several blocks
# --------------------------------------------------------------------------------------------------

ENGLISH = ["a dog runs on grass", "two dogs play on the grass", "a red car on the road", "cars on a road"]


def test_tfidf_neighbours_and_empty_texts():
    enc = TextEncoder(min_df=1).fit(ENGLISH)
    X = enc.transform(ENGLISH + ["", "zebra xylophone", "   ", "🙂"]).toarray()
    sim = X @ X.T
    assert sim[0, 1] > sim[0, 2] and sim[2, 3] > sim[2, 0]
    assert enc.n_empty_ == 4 and not X[4:].any()
    np.testing.assert_allclose(np.linalg.norm(X[:4], axis=1), 1.0, rtol=1e-5)


def chinese_corpus():
    """Three topics (cats, football, cooking), four texts each, written here."""
    cats = ["小猫在沙发上睡觉", "一只白色的小猫在玩毛线球", "猫咪喜欢晒太阳和睡觉", "这只小猫很可爱喜欢玩"]
    football = ["足球运动员在球场上踢球", "他们在绿色的球场踢足球比赛", "球员射门得分赢得比赛", "足球比赛今晚在体育场举行"]
    cooking = ["妈妈在厨房里做饭炒菜", "厨师用新鲜的蔬菜做汤", "我们在厨房学习做饭", "这道菜需要炒五分钟"]
    return cats + football + cooking, np.repeat([0, 1, 2], 4)


def test_chinese_tfidf_neighbours_share_the_topic():
    texts, topic = chinese_corpus()
    enc = TextEncoder(min_df=1)
    X = enc.fit_transform(texts).toarray()
    assert enc.vocabulary_size_ > 50  # character unigrams and bigrams, not an empty vocabulary
    sim = X @ X.T
    np.fill_diagonal(sim, -np.inf)
    nearest = sim.argmax(axis=1)
    assert (topic[nearest] == topic).all()
    # a new query about football finds football texts first
    q = enc.transform(["昨天的足球比赛很精彩"]).toarray()[0]
    assert (topic[np.argsort(-(X @ q))[:3]] == 1).all()


def test_char_tfidf_lda_and_multi_block_normalisation():
    enc = TextEncoder(features="char-tfidf", min_df=1).fit(["colour", "color", "banana"])
    X = enc.transform(["colour", "color", "banana"]).toarray()
    assert (X @ X.T)[0, 1] > (X @ X.T)[0, 2]

    texts = ["dog cat pet fur", "cat pet fur paw", "car road wheel engine", "road car engine tyre"] * 6
    enc = TextEncoder("tfidf+lda", min_df=1, n_topics=2)
    X = enc.fit_transform(texts)
    assert sp.isspmatrix_csr(X) and X.dtype == np.float32
    n_tfidf = enc.blocks_["tfidf"].transform(["x"]).shape[1]
    assert X.shape == (24, n_tfidf + 2) == (24, enc.n_features_out_)
    X = X.toarray()
    np.testing.assert_allclose(np.linalg.norm(X[:, :n_tfidf], axis=1), 1 / np.sqrt(2), rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(X[:, n_tfidf:], axis=1), 1 / np.sqrt(2), rtol=1e-5)
    topics = X[:, n_tfidf:].argmax(axis=1)
    assert topics[0] == topics[1] != topics[2] == topics[3]
    # the same rows from transform as from fit_transform
    np.testing.assert_allclose(enc.transform(texts).toarray(), X, rtol=1e-5, atol=1e-6)

    Y = enc.transform(["dog pet", "", "zebra"]).toarray()
    assert enc.n_empty_ == 2 and enc.block_empty_ == {"tfidf": 2, "lda": 2}
    assert not Y[1:].any()


def test_lda_alone_is_dense_and_on_empty_raise_names_the_text():
    texts = ["dog cat pet", "cat pet fur", "car road wheel", "road car engine"] * 5
    enc = TextEncoder("lda", min_df=1, n_topics=2).fit(texts)
    X = enc.transform(texts)
    assert isinstance(X, np.ndarray) and X.dtype == np.float32 and X.shape == (20, 2)
    strict = TextEncoder(min_df=1, on_empty="raise").fit(texts)
    with pytest.raises(ValueError, match=r"text 1 \('zebra'\) gives a zero 'tfidf' row"):
        strict.transform(["dog", "zebra"])


def test_custom_tokenizer_is_used_everywhere():
    calls = []

    def by_comma(text):
        calls.append(text)
        return [t.strip() for t in text.split(",") if t.strip()]

    enc = TextEncoder(tokenizer=by_comma, min_df=1).fit(["red car, blue sky", "red car, green grass"])
    assert set(enc.blocks_["tfidf"].vocabulary_) == {"red car", "blue sky", "green grass"}
    assert calls


def test_feature_names_and_errors():
    assert parse_features("tfidf+glove-sif") == ("tfidf", "glove-sif")
    assert "word2vec-mean" in FEATURES and "vectors-tfidf" in FEATURES
    with pytest.raises(ValueError, match="every training text is empty"):
        TextEncoder().fit(["", "  "])
    with pytest.raises(ValueError, match="no vocabulary"):
        TextEncoder(min_df=1).fit(["the a of", "and the"])
    with pytest.raises(TypeError, match="not a single string"):
        TextEncoder().fit("a text")
    with pytest.raises(TypeError, match="text 1 is a int"):
        TextEncoder().fit(["a", 3])
    with pytest.raises(ValueError, match="unknown text feature 'bert'"):
        TextEncoder(features="bert").fit(["a b"])
    with pytest.raises(ValueError, match="twice"):
        TextEncoder(features="tfidf+tfidf").fit(["a b"])
    with pytest.raises(ValueError, match="need word vectors"):
        TextEncoder(features="vectors-mean").fit(["a b"])
    with pytest.raises(ValueError, match="on_empty"):
        TextEncoder(on_empty="ignore").fit(["a b"])
