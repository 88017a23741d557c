from datetime import datetime, timezone

import pytest

from newsbeam.schemas.tables import ARTICLE_SCHEMA, SCHEMA_VERSION, SINK_COLUMNS
from newsbeam.records.documents import Document, Rejected
from newsbeam.core.normalize.article import stable_hash, to_article_row
from newsbeam.core.normalize.language import language_of
from newsbeam.core.normalize.urls import canonicalize_url, domain_of

WHEN = datetime(2022, 1, 3, tzinfo=timezone.utc)


@pytest.mark.parametrize("url, canonical", [
    ("HTTP://WWW.Example.COM:80/a/b/?utm_source=x&b=2&a=1&fbclid=zz#frag",
     "http://www.example.com/a/b?a=1&b=2"),
    ("https://example.com:443/news/story/", "https://example.com/news/story"),
    ("https://example.com/story?gclid=abc&utm_medium=social", "https://example.com/story"),
    ("https://example.com/story?id=7#comments", "https://example.com/story?id=7"),
    ("https://example.com:8443/x", "https://example.com:8443/x"),
    ("https://example.com/", "https://example.com/"),
])
def test_canonical_urls(url, canonical):
    assert canonicalize_url(url) == canonical


@pytest.mark.parametrize("url", [None, "", "file:///tmp/a.txt", "ftp://example.com/a", "mailto:x@y"])
def test_only_http_urls_have_a_canonical_form(url):
    assert canonicalize_url(url) is None


def test_query_order_and_tracking_do_not_change_the_canonical_url():
    assert (canonicalize_url("https://ex.com/a?b=2&a=1&utm_campaign=z")
            == canonicalize_url("https://EX.com/a/?a=1&b=2#top"))


def test_domain_drops_www():
    assert domain_of("https://www.dailysabah.com/x") == "dailysabah.com"
    assert domain_of(None) is None


def test_language_prefers_a_well_formed_declaration():
    assert language_of("en-US", "irrelevant") == "en"
    assert language_of("DE", "") == "de"


def test_language_is_detected_when_undeclared_or_malformed():
    german = "Der Außenminister hat am Montag mit seinem Amtskollegen telefoniert und die Lage besprochen."
    assert language_of(None, german) == "de"
    assert language_of("not a language", german) == "de"
    assert language_of(None, "too short") is None


def doc(**overrides) -> Document:
    fields = dict(source="s", uri="/in/a.txt", fetched_at=WHEN, url=None,
                  text="First paragraph of the story.\n\nSecond one.", title="Title")
    return Document(**{**fields, **overrides})


def test_article_row_matches_the_schema_and_counts_words():
    row = to_article_row(doc(), run_id="r1")
    assert list(row) == [n for n in ARTICLE_SCHEMA.names if n not in SINK_COLUMNS]
    assert row["word_count"] == 7
    assert row["run_id"] == "r1" and row["schema_version"] == SCHEMA_VERSION


def test_ids_hash_the_canonical_url_or_else_the_normalized_text():
    by_url = to_article_row(doc(url="https://ex.com/a?utm_source=x"), "r")
    assert by_url["canonical_url"] == "https://ex.com/a"
    assert by_url["article_id"] == stable_hash("https://ex.com/a")
    assert by_url["domain"] == "ex.com"
    local = to_article_row(doc(), "r")
    respaced = to_article_row(doc(text="First  paragraph of the STORY\n\nSecond one!", uri="/b"), "r")
    assert local["article_id"] == local["content_hash"] == respaced["content_hash"]


def test_page_declared_canonical_url_wins_over_the_fetched_url():
    row = to_article_row(doc(url="https://m.ex.com/a?x=1", page_url="https://ex.com/a"), "r")
    assert row["canonical_url"] == "https://ex.com/a"


def test_an_empty_text_is_rejected():
    with pytest.raises(Rejected) as refusal:
        to_article_row(doc(text="  \n"), "r")
    assert refusal.value.reason == "no_text"


def test_a_body_below_the_minimum_word_count_is_rejected():
    with pytest.raises(Rejected) as refusal:
        to_article_row(doc(text="Home About Contact"), "r", min_words=10)
    assert refusal.value.reason == "too_short"


TEXTS = [
    "Der Außenminister hat am Montag mit seinem Amtskollegen telefoniert.",
    "The minister spoke with his counterpart on Monday about the crisis.",
    "Le ministre a parlé lundi avec son homologue de la crise.",
    "El ministro habló el lunes con su homólogo sobre la crisis.",
    "Министр в понедельник обсудил кризис со своим коллегой.",
    "大臣は月曜日に危機について相手と話し合った。",
]


def test_the_cached_language_model_is_py3langid_s_own(tmp_path, monkeypatch):
    import numpy as np
    from py3langid import langid

    from newsbeam.core.normalize import language

    monkeypatch.setenv(language.CACHE_VARIABLE, str(tmp_path / "cache"))
    shipped = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    written = language._from_cache()  # from the shipped model; writes the cache
    [cached_file] = (tmp_path / "cache").iterdir()
    assert cached_file.name.startswith("py3langid-") and cached_file.suffix == ".zst"
    cached_file.write_bytes(cached_file.read_bytes()[:1000])  # cut off: read as missing
    rewritten = language._from_cache()
    read = language._from_cache()  # from the cache
    for loaded in (written, rewritten, read):
        assert np.array_equal(loaded.nb_ptc, shipped.nb_ptc)
        assert np.array_equal(loaded.nb_pc, shipped.nb_pc)
        assert (loaded.nb_classes, loaded.tk_output) == (shipped.nb_classes, shipped.tk_output)
        assert (loaded.tk_nextmove, loaded.tk_row) == (shipped.tk_nextmove, shipped.tk_row)
        assert [loaded.classify(t) for t in TEXTS] == [shipped.classify(t) for t in TEXTS]
    # A folder that cannot be written: the model loads all the same, nothing is kept.
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(language.CACHE_VARIABLE, str(tmp_path / "a-file" / "cache"))
    assert language._from_cache().classify(TEXTS[0]) == shipped.classify(TEXTS[0])
