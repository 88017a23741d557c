"""Extraction: RawDocument -> Document, HTML pages with JSON-LD/OpenGraph, decoding, rejects."""
from __future__ import annotations

import html
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from trafilatura import bare_extraction

from newsbeam.core.extract.decode import decode_html, decode_text
from newsbeam.core.extract.document import extract_document
from newsbeam.core.extract.fields import (
    language_code, split_authors, split_keywords, strip_site_suffix)
from newsbeam.core.extract.metadata import byline_candidates, trafilatura_metadata
from newsbeam.core.extract import page as page_module
from newsbeam.core.extract.page import extract_html, parse_html, prune_never_text
from newsbeam.core.extract.fields import host_names
from newsbeam.core.extract.title import strip_site_segments
from newsbeam.core.extract.visible_dates import labelled_date
from newsbeam.core.text.clean import parse_plain_text, split_paragraphs
from newsbeam.core.text.dates import parse_date, plausible_date
from newsbeam.records.documents import RawDocument, Rejected

TESTS = Path(__file__).resolve().parents[1]
FETCHED = datetime(2022, 3, 1, 12, 0, tzinfo=timezone.utc)
URL = "https://news.example.com/world/2022/03/talks?utm_source=feed"
PARAGRAPH = ("The ministers discussed the crisis at length and agreed that further talks were "
             "needed before the summit, officials from both countries said on Tuesday.")


def article(paragraphs_html: str) -> str:
    return f"<main><article>{paragraphs_html}</article></main>"


ARTICLE_BODY = article("\n".join(f"<p>{i}. {PARAGRAPH}</p>" for i in range(1, 5)))


def raw(body: bytes, media_type: str = "text/html", **kwargs) -> RawDocument:
    return RawDocument(source="test", uri="mem://doc", body=body, media_type=media_type,
                       fetched_at=FETCHED, **kwargs)


def sample(stem: str) -> tuple[str, list[str]]:
    title, body = parse_plain_text((TESTS / "fixtures" / f"{stem}.txt").read_text("utf-8"))
    return title, split_paragraphs(body)


def golden(stem: str) -> str:
    return (TESTS / "golden" / f"{stem}.expected.txt").read_text("utf-8").removesuffix("\n")


def page(head: str = "", body: str = ARTICLE_BODY, lang: str = "") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    return (f"<!DOCTYPE html>\n<html{lang_attr}><head><meta charset=\"utf-8\">{head}</head>"
            f"<body>{body}</body></html>")


def jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def realistic_page(stem: str) -> str:
    """One sample's text inside a news page: cookie banner, nav, byline, related links,
    comments, footer, with JSON-LD and OpenGraph in the head."""
    title, paragraphs = sample(stem)
    article = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
        "author": [{"@type": "Person", "name": name} for name in ("Jane Doe", "John Roe")],
        "datePublished": "2022-02-08T14:30:00+03:00",
        "publisher": {"@type": "Organization", "name": "Daily Example"},
        "image": {"@type": "ImageObject", "url": "/img/lead.jpg"},
        "keywords": "Diplomacy, Ukraine, NATO", "inLanguage": "en-US",
    }
    head = (f"<title>{html.escape(title)} | Daily Example</title>"
            f'<meta property="og:title" content="{html.escape(title)}">'
            '<meta property="og:site_name" content="Daily Example">'
            '<meta property="og:description" content="Ministers spoke by phone.">'
            '<link rel="canonical" href="https://news.example.com/world/talks">' + jsonld(article))
    paragraphs_html = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    body = f"""
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience.
 By continuing you accept our cookie policy.</p><button>Accept all cookies</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
 <li><a href="/business">Business</a></li><li><a href="/sports">Sports</a></li></ul></nav></header>
<main><article>
 <h1>{html.escape(title)}</h1>
 <div class="byline">By Jane Doe and John Roe</div>
 <time datetime="2022-02-08T14:30:00+03:00">Feb 8, 2022</time>
 <div class="article-body">{paragraphs_html}</div>
</article>
<aside class="related"><h3>Related articles</h3><ul>
 <li><a href="/a">Erdoğan meets Putin in Sochi for talks on Syria</a></li>
 <li><a href="/b">Markets rally as inflation slows in the euro zone</a></li></ul></aside>
<section id="comments" class="comments"><h3>Comments</h3>
 <div class="comment"><p>Great article, thanks for sharing this with all of us readers!</p></div>
</section></main>
<footer><p>© 2022 Daily Example. All rights reserved.</p>
 <a href="/privacy">Privacy Policy</a> <a href="/terms">Terms of Use</a></footer>"""
    return page(head, body, lang="en-GB")


# --- whole pages ----------------------------------------------------------------------------

@pytest.mark.parametrize("stem, dateline", [
    ("001_cb01ad8e5fa5d174", "ANKARA"),
    ("003_b3ca85e2acb0ca56", None),
])
def test_realistic_page_gives_the_clean_sample_and_publisher_metadata(stem, dateline):
    title, _ = sample(stem)
    doc = extract_document(raw(realistic_page(stem).encode("utf-8"), url=URL))
    assert doc.text == golden(stem)
    assert doc.dateline == dateline
    for boilerplate in ("cookie", "Home", "Related articles", "Great article", "©", "Jane Doe"):
        assert boilerplate not in doc.text
    assert doc.title == title
    assert doc.authors == ["Jane Doe", "John Roe"]
    assert doc.published_at == datetime(2022, 2, 8, 11, 30, tzinfo=timezone.utc)
    assert doc.site_name == "Daily Example"
    assert doc.language == "en"
    assert doc.tags == ["Diplomacy", "Ukraine", "NATO"]
    assert doc.image_url == "https://news.example.com/img/lead.jpg"
    assert doc.description == "Ministers spoke by phone."
    assert doc.page_url == "https://news.example.com/world/talks"
    assert (doc.source, doc.uri, doc.url, doc.fetched_at) == ("test", "mem://doc", URL, FETCHED)


def test_page_with_only_opengraph():
    head = ('<meta property="og:title" content="Talks resume in Geneva">'
            '<meta property="og:url" content="https://news.example.com/geneva">'
            '<meta property="og:image" content="https://cdn.example.com/geneva.jpg">'
            '<meta property="og:site_name" content="Example News">'
            '<meta property="og:locale" content="fr_FR">'
            '<meta property="article:published_time" content="2022-01-10T08:00:00Z">'
            '<meta property="article:author" content="https://facebook.com/janedoe">'
            '<meta name="author" content="By Jane Doe, John Roe">'
            '<meta property="article:tag" content="Diplomacy">'
            '<meta property="article:tag" content="Geneva">')
    result = extract_html(page(head))
    assert result.title == "Talks resume in Geneva"
    assert result.page_url == "https://news.example.com/geneva"
    assert result.image_url == "https://cdn.example.com/geneva.jpg"
    assert result.site_name == "Example News"
    assert result.language == "fr"
    assert result.published_at == datetime(2022, 1, 10, 8, 0, tzinfo=timezone.utc)
    assert result.authors == ["Jane Doe", "John Roe"]  # the profile URL is not a name
    assert result.tags == ["Diplomacy", "Geneva"]
    assert result.text.splitlines() == [f"{i}. {PARAGRAPH}" for i in range(1, 5)]


def test_html_lang_and_canonical_beat_og_locale_and_og_url():
    head = ('<meta property="og:locale" content="fr_FR">'
            '<meta property="og:url" content="https://news.example.com/og">'
            '<link rel="canonical" href="/canonical">')
    result = extract_html(page(head, lang="de-AT"), url="https://news.example.com/x?y=1")
    assert result.language == "de"
    assert result.page_url == "https://news.example.com/canonical"


def test_title_site_suffix_is_removed():
    head = ('<title>Talks resume in Geneva | Example News</title>'
            '<meta property="og:title" content="Talks resume in Geneva | Example News">'
            '<meta property="og:site_name" content="Example News">')
    assert extract_html(page(head)).title == "Talks resume in Geneva"
    only_title = extract_html(page("<title>Talks resume in Geneva | Example News</title>"))
    assert only_title.title == "Talks resume in Geneva"


def test_the_pages_h1_wins_over_a_longer_title_holding_it():
    head = '<meta property="og:title" content="Talks resume in Geneva: what we know so far">'
    body = f"<h1>Example News</h1><h1>Talks resume in Geneva</h1>{ARTICLE_BODY}"
    assert extract_html(page(head, body)).title == "Talks resume in Geneva"
    # Not parted by a separator ("Bhindi masala (okra stir fry)"): the title stays.
    head = '<meta property="og:title" content="Talks resume in Geneva (updated)">'
    assert extract_html(page(head, body)).title == "Talks resume in Geneva (updated)"


def test_a_kicker_inside_the_h1_is_not_part_of_the_headline():
    head = '<meta property="og:title" content="Climate: Drilling until it gets hot">'
    body = ('<h1><span class="kicker">Climate</span><span class="hidden">: </span>'
            f'<span>Drilling until it gets hot</span></h1>{ARTICLE_BODY}')
    assert extract_html(page(head, body)).title == "Drilling until it gets hot"
    # Text before the first element: that element is not a kicker.
    body = f'<h1>Climate: <em>Drilling</em> until it gets hot</h1>{ARTICLE_BODY}'
    assert extract_html(page(head, body)).title == "Climate: Drilling until it gets hot"


def test_the_kicker_is_kept_as_data_beside_the_title():
    h1 = ('<h1><span>Klimaschutz</span><span>: </span>'
          '<span>Bohren, bis es heiß wird</span></h1>')
    found = extract_html(page("", h1 + ARTICLE_BODY))
    assert (found.kicker, found.title) == ("Klimaschutz", "Bohren, bis es heiß wird")
    # A declared "Kicker: Headline" whose headline is the <h1>.
    head = '<meta property="og:title" content="Corona-Lockerungen: Autohäuser warten ab">'
    found = extract_html(page(head, "<h1>Autohäuser warten ab</h1>" + ARTICLE_BODY))
    assert found.kicker == "Corona-Lockerungen"
    # No kicker: a plain <h1>, a date in the first element, the site's logo in the <h1>.
    for h1 in ("<h1>Bohren, bis es heiß wird</h1>",
               "<h1><span>27.01.2022</span> Bohren, bis es heiß wird</h1>",
               "<h1><a>News Example</a> Bohren, bis es heiß wird</h1>"):
        html = page('<meta property="og:site_name" content="News Example">', h1 + ARTICLE_BODY)
        assert extract_html(html, url="https://news.example/a").kicker is None
    document = extract_document(raw(page("", h1.replace("News Example", "Klima")
                                         + ARTICLE_BODY).encode()))
    assert document.kicker == "Klima"  # the Document carries it to the row


def test_title_segments_naming_the_host_are_removed():
    url = "https://www.petri-heil.ch/news/hechte"
    head = ('<meta property="og:title" '
            'content="Winter pike in the lake | petri-heil.ch | Your fishing magazine">')
    assert extract_html(page(head), url=url).title == "Winter pike in the lake"
    head = '<meta property="og:title" content="BMAS - New rules for vaccination proofs">'
    assert extract_html(page(head), url="https://www.bmas.de/x").title == \
        "New rules for vaccination proofs"
    # Long segments stay even when they mention the site; no headline left: title stays.
    assert strip_site_segments("Pike season opens on petri-heil.ch today - Blog",
                               ["petriheil"]) == "Pike season opens on petri-heil.ch today - Blog"
    assert strip_site_segments("Petri Heil | Home", ["petriheil"]) == "Petri Heil | Home"
    assert host_names("https://edition.cnn.com/2021/x") == ["edition", "cnn"]
    assert host_names("https://www.dailymail.co.uk/") == ["dailymail"]
    assert host_names(None) == []


def test_rel_author_links_name_the_authors_when_nothing_else_does():
    # trafilatura's heuristics read rel="author" exactly (and make "c1ph4" "C"); a link
    # with more rel values is only ours.
    body = f'{ARTICLE_BODY}<div><a rel="author noopener" href="/u/c1ph4">c1ph4</a></div>'
    assert extract_html(page("", body)).authors == ["c1ph4"]
    declared = '<meta name="author" content="Jane Doe">'
    assert extract_html(page(declared, body)).authors == ["Jane Doe"]


def test_the_sites_name_beside_a_person_is_not_an_author():
    head = ('<meta property="og:site_name" content="CNN">'
            '<meta name="author" content="Rob Picheta, CNN">')
    assert extract_html(page(head)).authors == ["Rob Picheta"]
    # Alone it stays: a personal blog's name is its author's.
    head = ('<meta property="og:site_name" content="Helge Fahrnberger">'
            '<meta name="author" content="Helge Fahrnberger">')
    assert extract_html(page(head)).authors == ["Helge Fahrnberger"]


def test_a_publisher_named_in_domain_form_stays_as_the_page_writes_it():
    # trafilatura's heuristics would turn it into "Example At"; as JSON-LD organization
    # it used to be dropped.
    head = '<meta name="author" content="example.at">'
    assert extract_html(page(head)).authors == ["example.at"]
    org = jsonld({"@type": "NewsArticle", "headline": "Eine Schlagzeile hier",
                  "author": {"@type": "Organization", "name": "Example.de"}})
    assert extract_html(page(org)).authors == ["Example.de"]
    # A person named elsewhere on the page comes first (the domain is the last resort).
    byline = f'{ARTICLE_BODY}<div class="author"><a href="/p/am">Anna Muster</a></div>'
    assert extract_html(page(head, byline)).authors == ["Anna Muster"]
    # A user name with dots is no publisher: trafilatura's reading of it stays.
    head = '<meta name="author" content="edilson.la.rosa">'
    assert "edilson.la.rosa" not in extract_html(page(head)).authors


def test_a_visible_byline_names_the_author_when_nothing_else_does():
    body = (f'{ARTICLE_BODY}<div class="field--name-field-tag-author">'
            '<a href="/p/js">Jil Schuller</a></div>')
    assert extract_html(page("", body)).authors == ["Jil Schuller"]
    # Labels and bios are not names.
    for byline in ('<span class="author">Datum:</span>', '<p class="byline">Publiziert am</p>',
                   '<p class="byline">Updated 2022</p>',
                   '<div class="author-bio">Jil writes about animals since 2009.</div>'):
        assert byline_candidates(parse_html(page("", byline))) == {"authors": []}


def test_a_byline_label_is_skipped_for_the_name_after_it():
    body = ('<span class="meta-author">Posted</span>'
            '<span class="author vcard"><a>Walter von Aachen</a></span>' + ARTICLE_BODY)
    assert extract_html(page("", body)).authors == ["Walter von Aachen"]
    for byline, name in (('<p class="autor">Autor/in: Korinna Hennig</p>', "Korinna Hennig"),
                         ('<div class="auteurs">Par Didier Roy</div>', "Didier Roy"),
                         ('<span class="author">S.</span>', None),
                         ('<div class="author">Alle Beiträge</div>', None)):
        found = extract_html(page("", ARTICLE_BODY + byline)).authors
        assert found == ([name] if name else []), byline


def test_a_labelled_visible_byline_names_the_authors_when_nothing_else_does():
    for line, names in (("<p>Von Anna Muster und Max Beispiel, dpa</p>",
                         ["Anna Muster", "Max Beispiel"]),
                        ("<p><i>von <b>Daniela Obers</b></i></p>", ["Daniela Obers"]),
                        ("<p>Auteur : Kossivi Tiassou</p>", ["Kossivi Tiassou"]),
                        ("<p>By Mat\xadthi\xadas Lauerer</p>", ["Matthias Lauerer"]),
                        ("<p>Written by: Julie Mollins</p>", ["Julie Mollins"]),
                        ("<p>Autoren Jelko Djuren und Jutta Klaukien</p>",
                         ["Jelko Djuren", "Jutta Klaukien"])):
        assert extract_html(page("", line + ARTICLE_BODY)).authors == names, line
    # Not bylines: a place, a one-word name, a sentence, a label glued to a word, a role.
    for line in ("<p>Von Mainz nach Berlin</p>", "<p>Von Berlin</p>",
                 "<p>By the way, the ministers met again</p>", "<p>AFPBB News</p>",
                 "<p>Von Anna Muster und Illustrator: Max Beispiel</p>"):
        assert extract_html(page("", line + ARTICLE_BODY)).authors == [], line


def test_a_name_after_the_date_line_is_the_author_unless_the_page_lists_many():
    for line in ('<p class="text-muted">11.12.2019 - Amelie Loevenich</p>',
                 "<small>04.02.2022 | 13:10 Uhr | Uta Helkenberg</small>"):
        name = line.split("- ")[-1].split("| ")[-1].split("<")[0]
        assert extract_html(page("", line + ARTICLE_BODY)).authors == [name], line
    listing = "".join(f"<p>0{day}.11.2022 - {band} - Stadthalle</p>" for day, band in
                      ((2, "Placebo Live"), (3, "Mark Turner"), (4, "Sam Ryder")))
    listing += "<p>05.11.2022 - Muff Potter</p>"
    assert extract_html(page("", ARTICLE_BODY + listing)).authors == []
    # A date with a label or a credit is no byline.
    for line in ("<p>14.01.2022 - Foto: Max Beispiel</p>", "<p>21.01.2022 - 13:30</p>"):
        assert extract_html(page("", line + ARTICLE_BODY)).authors == [], line


def test_a_publisher_named_as_author_gives_way_to_the_person_of_the_byline():
    url = "https://www.example-news.com/a"
    head = ('<meta property="og:site_name" content="Example News">'
            '<meta name="author" content="Example News">')
    byline = '<div class="article-author">Jane Doe</div>'
    assert extract_html(page(head, byline + ARTICLE_BODY), url=url).authors == ["Jane Doe"]
    # The persons before the publisher, not the publisher nor what follows it.
    byline = "<p>By Jane Doe and John Roe, Example News, New York</p>"
    assert extract_html(page(head, byline + ARTICLE_BODY), url=url).authors == \
        ["Jane Doe", "John Roe"]
    # No person on the page: the publisher stays, as declared.
    assert extract_html(page(head), url=url).authors == ["Example News"]
    # A person declared is not replaced by another byline.
    head = '<meta name="author" content="Max Beispiel">'
    assert extract_html(page(head, byline + ARTICLE_BODY), url=url).authors == ["Max Beispiel"]


def test_an_organization_named_as_author_gives_way_to_the_person_of_the_byline():
    url = "https://www.kiel-kurier.de/a"  # the host names neither organization
    typed = jsonld({"@type": "NewsArticle", "headline": "Hafenfest mit neuem Rekord",
                    "author": {"@type": "Organization", "name": "KK"}})
    byline = "<p><em>Von <span>Frieda Hansen</span></em></p>"
    assert extract_html(page(typed, ARTICLE_BODY + byline), url=url).authors == \
        ["Frieda Hansen"]
    foundation = '<meta name="author" content="Stiftung Lesefreude e.V.">'
    marked = '<div class="article-author">Jonas Petersen</div>'
    assert extract_html(page(foundation, marked + ARTICLE_BODY), url=url).authors == \
        ["Jonas Petersen"]
    # No person on the page: the organization stays as declared.
    assert extract_html(page(typed), url=url).authors == ["KK"]
    assert extract_html(page(foundation), url=url).authors == ["Stiftung Lesefreude e.V."]
    # A person typed Person, or a name that only looks short, is not replaced.
    person = jsonld({"@type": "NewsArticle", "headline": "Hafenfest mit neuem Rekord",
                     "author": {"@type": "Person", "name": "Se Ri Kim"}})
    assert extract_html(page(person, ARTICLE_BODY + byline), url=url).authors == ["Se Ri Kim"]


def test_a_byline_label_alone_names_the_author_in_the_text_after_it():
    for line, names in (('<div><h5 class="t">Datum: </h5>03.11.2021<br>'
                         '<h5 class="t">Autor: </h5>Ole Brandt</div>', ["Ole Brandt"]),
                        ("<p><b>Von:</b><br><br>Grete Lindqvist</p>", ["Grete Lindqvist"]),
                        ('<div><h4>Autor</h4><p><a href="/p/1">Nils Ahrens</a>, </p></div>',
                         ["Nils Ahrens"]),
                        ("<p><strong>Text:</strong> Hanna Vogt</p>", ["Hanna Vogt"])):
        assert extract_html(page("", ARTICLE_BODY + line)).authors == names, line
    # A role in lower case is no label; a place or one word after a label is no name.
    for line in ("<p><b>Berta Uhl</b>, <span>author</span><br><b>Carl Moe</b></p>",
                 "<p><b>Von:</b> Hamburg</p>", "<p><b>By</b> Staff</p>"):
        assert extract_html(page("", ARTICLE_BODY + line)).authors == [], line
    # An inline labelled byline later on the page is the better witness.
    lone = '<div><span>By</span> <a href="/about">The Harbour Post</a></div>'
    inline = "<p><em>Written by: <a>Julia Marsh</a></em></p>"
    assert extract_html(page("", lone + ARTICLE_BODY + inline)).authors == ["Julia Marsh"]


def test_a_user_name_or_domain_in_the_byline_stays_as_the_page_writes_it():
    # trafilatura's heuristics make "Herr Rein", "Autor Blog Beispiel De", "Happyface".
    for byline in ('<span class="author vcard"><a class="url fn n">Herr_Rein</a></span>',
                   '<p class="author">Autor: <a>blog-beispiel.de</a></p>',
                   '<span class="author">happyface313</span>'):
        handle = byline.split(">")[-3 if "</a>" in byline else -2].split("<")[0].strip()
        found = extract_html(page("", byline + ARTICLE_BODY)).authors
        assert found == [handle], byline
    # A name the page declares is not rewritten from the byline.
    head = '<meta name="author" content="Hans Rein">'
    byline = '<span class="author"><a>Herr_Rein</a></span>'
    assert extract_html(page(head, byline + ARTICLE_BODY)).authors == ["Hans Rein"]


def test_jsonld_graph_with_id_references():
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "@id": "https://ex.com/#website", "name": "Ex Site"},
        {"@type": "Organization", "@id": "https://ex.com/#org", "name": "Example Media"},
        {"@type": "Person", "@id": "https://ex.com/#jane", "name": "Jane Doe"},
        {"@type": ["Article", "NewsArticle"], "@id": "https://ex.com/a#article",
         "headline": "Graph headline", "author": {"@id": "https://ex.com/#jane"},
         "publisher": {"@id": "https://ex.com/#org"}, "datePublished": "2022-01-03",
         "image": ["https://ex.com/1.jpg", "https://ex.com/2.jpg"],
         "keywords": ["Diplomacy", "NATO"], "inLanguage": "tr-TR",
         "description": "Q&amp;A about the talks."},
    ]}
    result = extract_html(page("<title>Other title</title>" + jsonld(graph)))
    assert result.title == "Graph headline"
    assert result.authors == ["Jane Doe"]
    assert result.site_name == "Example Media"
    assert result.published_at == datetime(2022, 1, 3, tzinfo=timezone.utc)
    assert result.image_url == "https://ex.com/1.jpg"
    assert result.tags == ["Diplomacy", "NATO"]
    assert result.language == "tr"
    assert result.description == "Q&A about the talks."


def test_jsonld_list_and_schema_prefixed_type():
    blocks = [{"@type": "BreadcrumbList", "name": "Crumbs"},
              {"@type": "schema:ReportageNewsArticle", "headline": "Listed headline",
               "author": "By Jane Doe and John Roe"}]
    result = extract_html(page(jsonld(blocks)))
    assert (result.title, result.authors) == ("Listed headline", ["Jane Doe", "John Roe"])


def test_broken_jsonld_is_ignored():
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
            '<script type="application/ld+json">[[[[[[[[[[[[]]]]]]]]]]]]</script>'
            '<meta property="og:title" content="OG headline">')
    assert extract_html(page(head)).title == "OG headline"


def test_extraction_from_our_tree_equals_extraction_from_the_string():
    text = realistic_page("001_cb01ad8e5fa5d174")
    options = dict(url=URL, with_metadata=True, include_comments=False, include_tables=True)
    from_string = bare_extraction(text, **options).as_dict()
    from_tree = bare_extraction(parse_html(text), **options).as_dict()
    for key in ("text", "title", "author", "date", "sitename", "url", "description", "tags"):
        assert from_tree[key] == from_string[key], key


def test_pruning_drops_code_and_keeps_jsonld_and_the_text_around_it():
    tree = parse_html(page(jsonld({"@type": "NewsArticle", "headline": "H"}), body=(
        "<article><p>Before <script>var ad = 'SCRIPT TEXT';</script>after the script."
        "<noscript>Enable JavaScript</noscript><svg><text>SVG TEXT</text></svg></p>"
        "<style>p { color: red }</style><template><p>TEMPLATE</p></template></article>")))
    prune_never_text(tree)
    text = tree.text_content()
    assert "Before after the script." in text  # the script's tail is kept
    for gone in ("SCRIPT TEXT", "SVG TEXT", "color: red"):
        assert gone not in text
    assert "Enable JavaScript" in text  # <noscript> may hold a page's only text
    assert [s.get("type") for s in tree.iter("script")] == ["application/ld+json"]


def test_pruned_extraction_keeps_the_body_plain_trafilatura_finds():
    text = realistic_page("003_b3ca85e2acb0ca56").replace(
        "</article>", "<script>var tracking = {'a': 1};</script><svg><path d='M0'/></svg>"
                      "<style>.x{}</style></article>")
    plain = bare_extraction(text, url=URL, include_comments=False, include_tables=True).text
    assert extract_html(text, url=URL).text == plain


def date_only_page(declared: str = "") -> str:
    body = article(f"<p>Published 3 March 2021.</p><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p>")
    return page(declared + "<title>Talks resume | Daily Example</title>", body)


def test_declared_date_wins_and_trafilatura_date_search_fills_only_a_missing_one():
    declared = '<meta property="article:published_time" content="2022-02-08T14:30:00+03:00">'
    assert extract_html(date_only_page(declared)).published_at == datetime(
        2022, 2, 8, 11, 30, tzinfo=timezone.utc)
    # no declared date: htmldate finds the one in the text, as plain trafilatura does
    plain = bare_extraction(date_only_page(), with_metadata=True).date
    assert plain == "2021-03-03"
    assert extract_html(date_only_page()).published_at == datetime(2021, 3, 3, tzinfo=timezone.utc)


def test_trafilatura_metadata_computes_only_missing_fields():
    tree = parse_html(date_only_page())
    assert trafilatura_metadata(tree, URL, set()) is None
    only_title = trafilatura_metadata(tree, URL, {"title"})
    assert only_title.title and only_title.date is None  # no date search asked for


# --- rejects --------------------------------------------------------------------------------

@pytest.mark.parametrize("document", [
    b"", b"   ", b"<html></html>", b"<html><head><title>Empty</title></head><body></body></html>",
    page(body="<script>var x = 1;</script><style>p {}</style>\n  \u00a0 ").encode(),
])
def test_empty_pages_are_rejected_as_no_text(document):
    with pytest.raises(Rejected) as err:
        extract_document(raw(document))
    assert err.value.reason == "no_text"


@pytest.mark.parametrize("media_type", ["text/html", "text/plain"])
def test_binary_input_is_rejected(media_type):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))
    with pytest.raises(Rejected) as err:
        extract_document(raw(png, media_type))
    assert err.value.reason == "binary"


def test_media_type_parameters_and_case_are_ignored():
    doc = extract_document(raw(b"Title\nBody text.", "Text/Plain; charset=utf-8"))
    assert (doc.title, doc.text) == ("Title", "Body text.")


def test_declared_charset_that_is_no_text_codec_is_ignored():
    assert decode_text("Çavuşoğlu".encode(), charset="base64") == "Çavuşoğlu"


def test_unknown_media_type_is_rejected():
    with pytest.raises(Rejected) as err:
        extract_document(raw(b"%PDF-1.7", "application/pdf"))
    assert err.value.reason == "unsupported_media_type"


def test_trafilatura_failure_is_rejected_as_extract_failed(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(page_module, "bare_extraction", boom)
    with pytest.raises(Rejected) as err:
        extract_html(page())
    assert err.value.reason == "extract_failed"
    assert err.value.detail == "RuntimeError: parser exploded"


def test_text_with_only_a_title_is_rejected_as_no_text():
    with pytest.raises(Rejected) as err:
        extract_document(raw(b"Headline only\n\nShare this article\n", "text/plain"))
    assert err.value.reason == "no_text"


# --- decoding -------------------------------------------------------------------------------

def test_meta_charset_windows_1252():
    document = page('<title>Café “talks”</title><meta charset="windows-1252">',
                    body=ARTICLE_BODY.replace("ministers", "ministers’ café"))
    result = extract_html(document.replace('<meta charset="utf-8">', "").encode("cp1252"))
    assert result.title == "Café “talks”"
    assert "ministers’ café" in result.text


def test_declared_charset_beats_a_wrong_meta_charset():
    document = page("<title>Café “talks”</title>")  # says utf-8, is sent as windows-1252
    assert "Café “talks”" in decode_html(document.encode("cp1252"), charset="windows-1252")


def test_shift_jis_page_with_declared_charset():
    sentence = "東京で外相会談が行われ、両国は危機について長時間協議し、首脳会議の前にさらなる協議が必要だと合意した。"
    body = article("".join(f"<p>{i}. {sentence}</p>" for i in range(1, 5)))
    document = page("<title>東京で外相会談</title>", body).replace("utf-8", "Shift_JIS")
    result = extract_html(document.encode("shift_jis"), charset="Shift_JIS")
    assert result.title == "東京で外相会談"
    assert result.text.splitlines()[0] == f"1. {sentence}"


def test_utf16_page_with_bom_is_not_binary():
    document = page("<title>Çavuşoğlu speaks</title>").replace("utf-8", "utf-16")
    assert extract_html(document.encode("utf-16")).title == "Çavuşoğlu speaks"


def test_plain_text_decoding():
    text = "Başlık\n\nÇavuşoğlu konuştu.\n"
    assert decode_text(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode_text(text.encode("cp1254"), charset="windows-1254") == text
    assert decode_text(text.encode("utf-16")) == text
    with pytest.raises(Rejected) as err:
        decode_text(text.encode("cp1254"))
    assert err.value.reason == "undecodable"


def test_plain_text_sample_becomes_a_document():
    stem = "002_f14a7e196510d787"
    body = (TESTS / "fixtures" / f"{stem}.txt").read_bytes()
    doc = extract_document(raw(b"\xef\xbb\xbf" + body, "text/plain", url=None))
    assert doc.title == "Çavuşoğlu, Blinken discuss Russia-Ukraine tension over phone"
    assert (doc.text, doc.dateline) == (golden(stem), "ANKARA")
    assert doc.authors == [] and doc.published_at is None


# --- hints ----------------------------------------------------------------------------------

def test_hints_fill_only_what_the_page_lacks():
    hints = {"title": "Feed title", "authors": "By Jane Doe and John Roe",
             "published_at": datetime(2022, 1, 3, 9, 0), "tags": ["Diplomacy"],
             "image_url": "/feed.jpg", "language": "en-US", "unknown_key": "ignored"}
    document = page('<meta property="og:title" content="Page title">')
    doc = extract_document(raw(document.encode(), url=URL, hints=hints))
    assert doc.title == "Page title"
    assert doc.authors == ["Jane Doe", "John Roe"]
    assert doc.published_at == datetime(2022, 1, 3, 9, 0, tzinfo=timezone.utc)
    assert doc.tags == ["Diplomacy"]
    assert doc.image_url == "https://news.example.com/feed.jpg"
    assert doc.language == "en"


def test_hints_fill_plain_text_metadata():
    hints = {"published_at": "Mon, 03 Jan 2022 10:00:00 +0300", "site_name": "Daily Sabah"}
    doc = extract_document(raw(b"Title\nBody text.", "text/plain", hints=hints))
    assert doc.published_at == datetime(2022, 1, 3, 7, 0, tzinfo=timezone.utc)
    assert doc.site_name == "Daily Sabah"


# --- field normalizers ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2022-01-03T10:00:00+03:00", datetime(2022, 1, 3, 7, 0, tzinfo=timezone.utc)),
    ("2022-01-03T10:00:00Z", datetime(2022, 1, 3, 10, 0, tzinfo=timezone.utc)),
    ("2022-01-03 10:00:00", datetime(2022, 1, 3, 10, 0, tzinfo=timezone.utc)),
    ("2022-01-03", datetime(2022, 1, 3, tzinfo=timezone.utc)),
    ("Mon, 03 Jan 2022 10:00:00 GMT", datetime(2022, 1, 3, 10, 0, tzinfo=timezone.utc)),
    ("Mon, 03 Jan 2022 10:00:00 -0500", datetime(2022, 1, 3, 15, 0, tzinfo=timezone.utc)),
    ("Mon, 03 Jan 2022 10:00:00 EST", datetime(2022, 1, 3, 15, 0, tzinfo=timezone.utc)),
    ("January 3, 2022", datetime(2022, 1, 3, tzinfo=timezone.utc)),
    ("10:00 yesterday", None), ("not a date", None), ("", None), (None, None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


NOW = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, plausible", [
    ("1970-01-01", False), ("0001-01-01T00:00:00Z", False), ("1994-12-31T23:59:59Z", False),
    ("1995-01-01", True), ("2026-01-03T11:00:00Z", True),  # within a day ahead: time zones
    ("2026-01-03T12:00:01Z", False), ("2099-01-01", False),
])
def test_implausible_publication_dates_are_not_dates(text, plausible):
    assert (plausible_date(text, NOW) is not None) is plausible


def test_an_epoch_or_future_date_gives_way_to_the_next_candidate():
    dates = {"@type": "NewsArticle", "headline": "H", "datePublished": "1970-01-01T00:00:00Z",
             "dateCreated": "2021-06-01T08:00:00Z"}
    assert extract_html(page(jsonld(dates))).published_at == datetime(
        2021, 6, 1, 8, tzinfo=timezone.utc)
    ahead = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    meta = (jsonld({"@type": "NewsArticle", "headline": "H", "datePublished": ahead})
            + '<meta property="article:published_time" content="2022-02-08T11:30:00Z">')
    assert extract_html(page(meta)).published_at == datetime(2022, 2, 8, 11, 30, tzinfo=timezone.utc)
    epoch_only = jsonld({"@type": "NewsArticle", "headline": "H", "datePublished": "1970-01-01"})
    hints = {"published_at": "1970-01-01T00:00:00Z"}
    assert extract_document(raw(page(epoch_only).encode(), hints=hints)).published_at is None


def test_lone_surrogates_escaped_in_json_ld_become_replacement_characters():
    # JSON may escape half a surrogate pair; Parquet and Beam's coders refuse such text.
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", '
            '"headline": "Bad \\udcff headline", "author": "Jane \\ud800 Doe", '
            '"image": "https://ex.com/\\udcff.jpg"}</script>')
    result = extract_html(page(head))
    assert (result.title, result.authors) == ("Bad \ufffd headline", ["Jane \ufffd Doe"])
    assert result.image_url == "https://ex.com/\ufffd.jpg"


@pytest.mark.parametrize("value, expected", [
    ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("Jane Doe, John Roe; Ali Veli", ["Jane Doe", "John Roe", "Ali Veli"]),
    (["Jane Doe", "jane doe", "https://twitter.com/jd"], ["Jane Doe"]),
    ("Alexandra Anderson", ["Alexandra Anderson"]),
    (None, []),
    # Sites, placeholders and commenters are not authors; a dotted name is a person.
    (["tagesschau.de", "www.LAOLA1.at", "Greentech.LIVE Redaktion"], ["Greentech.LIVE Redaktion"]),
    (["Wordpressadmin", "No Author", "Art Edwards says", "J.R. Stone"], ["J.R. Stone"]),
    # Theme labels before the name go; the name stays once.
    (["mywakenews", "Zeige alle Beiträge von mywakenews →"], ["mywakenews"]),
    (["View all posts by Daniel Lemire", "Veröffentlicht von Cem Basman"],
     ["Daniel Lemire", "Cem Basman"]),
])
def test_split_authors(value, expected):
    assert split_authors(value) == expected


def test_split_keywords_and_language_and_suffix():
    assert split_keywords(["Diplomacy, US,", "NATO; us"]) == ["Diplomacy", "US", "NATO"]
    assert [language_code(v) for v in ("en-US", "pt_BR", "TR", "eng", "")] == [
        "en", "pt", "tr", None, None]
    assert strip_site_suffix("Headline - Site", "site") == "Headline"
    assert strip_site_suffix("Site - Headline", "Site") == "Site - Headline"


def test_a_feed_date_and_authors_beat_guesses_from_the_text_but_not_the_page_meta():
    body = "".join(f"<p>Fighting in the region has gone on since 2014, officials said, "
                   f"and talks resumed this week. Paragraph {i}.</p>" for i in range(6))
    page = f"<html><head><title>Talks resume</title>{{meta}}</head><body><article>{body}</article></body></html>"
    hints = {"published_at": "2025-05-21T06:30:00Z", "authors": ["Feed Author"], "title": "Feed title"}
    raw = lambda meta: RawDocument(source="s", uri="http://x/a", body=page.format(meta=meta).encode(),
                                   media_type="text/html", fetched_at=datetime.now(timezone.utc),
                                   url="http://x/a", hints=hints)
    doc = extract_document(raw(""))
    assert doc.published_at == datetime(2025, 5, 21, 6, 30, tzinfo=timezone.utc)
    assert doc.authors == ["Feed Author"] and doc.title == "Talks resume"
    doc = extract_document(raw('<meta property="article:published_time" content="2025-05-20T09:00:00Z">'))
    assert doc.published_at == datetime(2025, 5, 20, 9, tzinfo=timezone.utc)


def test_a_date_printed_after_a_publication_label():
    for line, day in (
            ("<p>Veröffentlicht am 16.08.2019</p>", "2019-08-16"),
            ("<div><span>Erschienen am:</span> <time>13.10.2021</time></div>", "2021-10-13"),
            ("<p>Published: Monday, November 18th, 2019 at 11:08 a.m.</p>", "2019-11-18"),
            ("<p>Publié le 3 mars 2020</p>", "2020-03-03"),
            ("<p>Publicado el 7 de mayo de 2022</p>", "2022-05-07"),
            ("<p>Issue Published: 7 April 2020</p>", "2020-04-07"),
            ("<p>Written: 2023-11-07 15:03:30</p>", "2023-11-07"),
            ("<p>Letzte Änderung: 31.10.2023<br>Erschienen am: 01.11.2023</p>", "2023-11-01")):
        assert labelled_date(parse_html(page("", line + ARTICLE_BODY))) == day, line
    # Not a publication date: a change, a label in prose, a label without a date, a script.
    for line in ("<p>Aktualisiert am 16.08.2019</p>", "<p>Updated May 06, 2019</p>",
                 "<p>Erschienen am Bahnhof: 16.08.2019</p>",
                 f"<p>{PARAGRAPH} Die Studie wurde veröffentlicht am 16.08.2019.</p>",
                 "<script>var published = '16.08.2019';</script>",
                 "<p>Veröffentlicht am 31.02.2019</p>"):
        assert labelled_date(parse_html(page("", line + ARTICLE_BODY))) is None, line


def test_the_printed_date_comes_before_a_bare_declared_date_and_a_feeds_but_not_a_timestamp():
    printed = "<p>Erschienen am: 13.10.2021</p>" + ARTICLE_BODY
    bare = '<meta name="dc.date" content="2021-10-15">'
    stamp = '<meta property="article:published_time" content="2021-10-15T08:00:00Z">'
    feed = {"published_at": "2021-10-14T06:00:00Z"}
    day = datetime(2021, 10, 13, tzinfo=timezone.utc)
    assert extract_html(page(bare, printed)).published_at == day
    assert extract_html(page("", printed), hints=feed).published_at == day
    assert extract_html(page(stamp, printed), hints=feed).published_at == \
        datetime(2021, 10, 15, 8, tzinfo=timezone.utc)
    # No printed date: the declared one, then the feed's, as before.
    assert extract_html(page(bare), hints=feed).published_at == \
        datetime(2021, 10, 15, tzinfo=timezone.utc)
    assert extract_html(page(""), hints=feed).published_at == \
        datetime(2021, 10, 14, 6, tzinfo=timezone.utc)


def test_named_time_zones_are_understood_or_read_as_utc_without_warnings(recwarn):
    assert parse_date("Mon, 21 Nov 2022 10:00:00 CET").isoformat() == "2022-11-21T09:00:00+00:00"
    assert parse_date("21 Nov 2022 10:00 JST").isoformat() == "2022-11-21T01:00:00+00:00"
    # IST names three zones: taken as UTC rather than guessed.
    assert parse_date("21 Nov 2022 10:00 IST").isoformat() == "2022-11-21T10:00:00+00:00"
    assert not [w for w in recwarn if "tzname" in str(w.message)]


@pytest.mark.parametrize("text", [
    realistic_page("002_f14a7e196510d787"),
    '<?xml version="1.0" encoding="utf-8"?>\n<html><body><p>Declared XML encoding</p></body></html>',
    "<p>a fragment</p><p>second block</p>",
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\">\n<html/>\n<body><p>x</p></body>",
])
def test_our_parser_builds_trafilaturas_tree(text):
    from lxml import etree
    from trafilatura import load_html
    ours, theirs = parse_html(text), load_html(text)
    assert etree.tostring(ours) == etree.tostring(theirs)


def test_every_parsed_element_is_a_plain_html_element():
    from lxml.html import HtmlElement
    tree = parse_html(page(body=ARTICLE_BODY + "<form><label>L</label><input name=q></form>"))
    assert {type(element) for element in tree.iter("form", "input", "label", "p")} == \
        {HtmlElement}
