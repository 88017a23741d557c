"""Metadata field normalizers, shared by every metadata source (JSON-LD, meta, trafilatura,
feed hints): one candidate value in, a clean value (or None/[]) out."""
from __future__ import annotations

import html as htmllib
import re
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

from newsbeam.core.text.clean import normalize_line
from newsbeam.core.text.dates import plausible_date

METADATA_FIELDS = ("title", "authors", "published_at", "language", "description", "tags",
                   "image_url", "site_name", "page_url")


_BYLINE_PREFIX = re.compile(r"^\s*(?:written\s+)?by[:\s]+", re.IGNORECASE)
# What blog themes and CMSs write before the name ("Veröffentlicht von X", "View all posts
# by X", "Zeige alle Beiträge von X →"): a label, not part of the name.
_POSTED_BY = re.compile(
    r"^\s*(?:(?:view|see)\s+all\s+posts\s+by|all\s+posts\s+by|posted\s+by|"
    r"(?:zeige\s+)?alle\s+beiträge\s+von|veröffentlicht\s+von|eingestellt\s+von|"
    r"geschrieben\s+von|verfasst\s+von|publié\s+par|publicado\s+por)[:\s]+|\s*[→»]\s*$",
    re.IGNORECASE)
_AUTHOR_SEPARATORS = re.compile(r"\s*(?:[,;|&]|\band\b)\s*", re.IGNORECASE)
_MAX_AUTHOR_CHARS = 80
_LANGUAGE = re.compile(r"([a-zA-Z]{2})(?:[-_][A-Za-z0-9-]*)?")
_URL_LIKE = re.compile(r"^(?:https?:)?//|^www\.", re.IGNORECASE)


# JSON (JSON-LD, JSON Feed) may escape half a surrogate pair ("\ud800"): Python keeps it
# as a lone surrogate, which no UTF-8 encoder (Beam's coders, Parquet) accepts.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def strings_of(value: Any) -> list[str]:
    """A value as a flat list of non-empty strings (str, or lists of them); lone
    surrogates become U+FFFD."""
    if isinstance(value, str):
        return [_LONE_SURROGATE.sub("\ufffd", value)] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in strings_of(item)]
    return []


def clean_inline(value: str) -> str | None:
    """One-line metadata text: entities decoded, whitespace normalized."""
    return normalize_line(htmllib.unescape(value)) or None


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            kept.append(item)
    return kept


_MAX_SITE_WORDS = 4
# Host labels that say nothing about the site ("www.", "news.", "co.uk").
_GENERIC_LABELS = frozenset({"www", "com", "org", "net", "gov", "edu", "news", "blog", "amp"})


def host_names(url: str | None) -> list[str]:
    """ "https://www.tagesschau.de/x" -> ["tagesschau"]: the labels that name the site."""
    host = urlsplit(url or "").hostname or ""
    labels = host.split(".")[:-1]
    return [label.replace("-", "") for label in labels
            if len(label) >= 3 and label not in _GENERIC_LABELS]


def names_site(segment: str, names: list[str]) -> bool:
    """A short text ("MDR.DE", "brand eins online") that names the site of ``names``."""
    if len(segment.split()) > _MAX_SITE_WORDS:
        return False
    letters = "".join(ch for ch in segment.casefold() if ch.isalnum())
    return bool(letters) and any(name in letters or letters in name for name in names)


# Not people: a domain name is the site ("tagesschau.de"); these are form labels, CMS
# accounts and placeholders; "X says" is a commenter.
_DOMAIN = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}", re.IGNORECASE)
_NOT_AUTHORS = frozenset({
    "admin", "administrator", "wordpressadmin", "author", "autor", "name", "no author",
    "anonymous", "follow", "posted", "text", "datum", "date", "human",
    # link texts of author boxes
    "alle beiträge", "all posts", "view all posts", "more posts", "mehr", "more", "read more",
    "weiterlesen", "profil", "profile",
})
_COMMENTER = re.compile(r"\s(?:says|said)$", re.IGNORECASE)


def _could_be_author(name: str) -> bool:
    return bool(name) and len(name) <= _MAX_AUTHOR_CHARS and not _URL_LIKE.match(name) \
        and not _DOMAIN.fullmatch(name) and name.casefold() not in _NOT_AUTHORS \
        and not _COMMENTER.search(name)


def letters(text: str) -> str:
    """Letters and digits only, case-folded: "Herr_Rein" and "Herr Rein" are the same name."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


# A publisher's domain ends in a country code or a common generic label; "first.last"
# user names ("edilson.la.rosa") are not publishers.
_PUBLISHER_DOMAIN = re.compile(
    r"(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:[a-z]{2}|com|org|net|info|news|world|online|media)",
    re.IGNORECASE)


def publisher_domains(value: Any) -> list[str]:
    """The names in an author value that are a domain ("example.at"), as the page writes
    them: a publisher's byline, kept for when no source names a person."""
    names = []
    for text in strings_of(value):
        text = _BYLINE_PREFIX.sub("", clean_inline(text) or "")
        names += [n for n in _AUTHOR_SEPARATORS.split(text) if _PUBLISHER_DOMAIN.fullmatch(n)]
    return _unique(names)


def without_domains(names: list[str], domains: list[str]) -> list[str]:
    """``names`` without trafilatura's rewrites of ``domains`` ("example.at" ->
    "Example At"): the page's own form is kept elsewhere."""
    folded = {letters(domain) for domain in domains}
    return [name for name in names if letters(name) not in folded]


def split_authors(value: Any) -> list[str]:
    """ "By A and B", "A, B", ["A; B"] -> ["A", "B"]; profile URLs and blurbs are dropped."""
    names = []
    for text in strings_of(value):
        text = _BYLINE_PREFIX.sub("", clean_inline(text) or "")
        names += [_POSTED_BY.sub("", n) for n in _AUTHOR_SEPARATORS.split(text)]
    names = [n for n in names if _could_be_author(n)]
    return _unique(names)


def split_keywords(value: Any) -> list[str]:
    """ "a, b" or ["a", "b; c"] -> ["a", "b", "c"], in order, without repeats."""
    words = [clean_inline(w) for text in strings_of(value) for w in re.split(r"[,;]", text)]
    return _unique([w for w in words if w])


def language_code(value: str) -> str | None:
    """ "en-US", "en_GB", "EN" -> ISO 639-1 "en"; anything else -> None."""
    match = _LANGUAGE.fullmatch(value.strip())
    return match[1].lower() if match else None


def _absolute_url(value: str, base: str | None) -> str | None:
    value = value.strip()
    return urljoin(base, value) if base else value or None


def strip_site_suffix(title: str, site_name: str | None) -> str:
    """ "Headline | Site" -> "Headline" when "Site" is the site's name."""
    if not site_name:
        return title
    for separator in (" | ", " - ", " – ", " — ", " :: ", " · "):
        head, sep, tail = title.rpartition(separator)
        if sep and head and tail.strip().casefold() == site_name.casefold():
            return head.strip()
    return title


_LIST_FIELDS: dict[str, Callable[[Any], list[str]]] = {
    "authors": split_authors, "tags": split_keywords,
}
_TEXT_FIELDS: dict[str, Callable[[str, str | None], Any]] = {  # (text, base URL) -> value
    "title": lambda text, _: clean_inline(text),
    "description": lambda text, _: clean_inline(text),
    "site_name": lambda text, _: clean_inline(text),
    "published_at": lambda text, _: plausible_date(text),
    "language": lambda text, _: language_code(text),
    "image_url": _absolute_url,
    "page_url": _absolute_url,
}


def normalize_field(field: str, value: Any, base_url: str | None = None) -> Any:
    """One candidate value for a metadata field, normalized; None/[] when unusable."""
    if field in _LIST_FIELDS:
        return _LIST_FIELDS[field](value)
    if field == "published_at" and isinstance(value, datetime):
        return plausible_date(value)
    for text in strings_of(value):
        normalized = _TEXT_FIELDS[field](text, base_url)
        if normalized:
            return normalized
    return None


Candidates = dict[str, list[Any]]


def first_usable(sources: list[Candidates], base_url: str | None,
                 fields: tuple[str, ...] = METADATA_FIELDS) -> dict[str, Any]:
    """Per field, the first candidate (sources in precedence order) that normalizes."""
    picked: dict[str, Any] = {}
    for field in fields:
        candidates = (c for source in sources for c in source.get(field, []))
        values = (normalize_field(field, c, base_url) for c in candidates)
        picked[field] = next((v for v in values if v), [] if field in _LIST_FIELDS else None)
    return picked
