"""Text cleanup rules applied to every article body, whatever its source.

Pure functions, no Beam: ``clean_body`` runs once per article, so every regex is precompiled,
bounded (no nested quantifiers over the same characters) and only tried on paragraphs short
enough to be what it looks for.

A body is a list of paragraphs: each non-empty line of the input is one paragraph (sources
disagree on blank lines, trafilatura emits one paragraph per line), and the cleaned body
joins them with exactly one blank line.
"""
from __future__ import annotations

import re
import unicodedata

from newsbeam.core.text.punctuation import punctuation

PARAGRAPH_SEPARATOR = "\n\n"

# A first line longer than this is a paragraph, not a headline.
MAX_TITLE_CHARS = 300
# Headline repeats, datelines and top photo captions are looked for among this many leading
# paragraphs only: further down, a line equal to the title or in capitals is real text.
HEAD_SCAN_LIMIT = 6
# Captions and furniture are short; anything longer is kept whatever it contains.
MAX_CAPTION_CHARS = 400
MAX_CREDIT_LINE_CHARS = 100
MAX_FURNITURE_CHARS = 250
MAX_HEADING_CHARS = 80
MAX_TAG_LINE_CHARS = 150
MAX_DATELINE_CHARS = 60

# --- whitespace -----------------------------------------------------------------------------

# Invisible characters that only break matching: soft hyphen, zero-width space, word joiner,
# BOM, and C0/C1 controls other than line breaks. ZWJ/ZWNJ (U+200C/D) are kept on purpose:
# they change spelling in Persian and Indic scripts, and join emoji.
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Any whitespace run inside a line (tab, NBSP, narrow NBSP, ideographic space...). Line
# breaks never reach it: lines are split first.
_SPACES = re.compile(r"\s+")


def normalize_line(line: str) -> str:
    """One line: NFC, invisible characters dropped, whitespace runs to one space, stripped."""
    line = _INVISIBLE.sub("", unicodedata.normalize("NFC", line))
    return _SPACES.sub(" ", line).strip()


def split_paragraphs(text: str) -> list[str]:
    """Every non-empty normalized line is a paragraph (``splitlines`` knows all line breaks)."""
    return [p for p in map(normalize_line, text.splitlines()) if p]


# Every Unicode punctuation character, for str.translate to strip them in C.
_DROP_PUNCTUATION = dict.fromkeys(punctuation())


def normalize_for_hash(text: str) -> str:
    """Text reduced for fingerprints: NFKC, casefolded, punctuation removed, whitespace
    collapsed, so re-typeset copies (quote style, spacing, case) compare equal."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_DROP_PUNCTUATION)
    return " ".join(text.split())


# --- the sample .txt format -----------------------------------------------------------------

def parse_plain_text(text: str) -> tuple[str | None, str]:
    """Split the sample ``.txt`` format: the first non-empty line is the headline, the rest
    the body. A first line too long to be a headline leaves the title ``None``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        title = normalize_line(line)
        if not title:
            continue
        if len(title) > MAX_TITLE_CHARS:
            break
        return title, "\n".join(lines[i + 1:])
    return None, text


# --- photo captions and credits -------------------------------------------------------------

_AGENCY = (r"(?:AP|AFP|Reuters|AA|Anadolu(?: Agency)?|IHA|DHA|EPA(?:-EFE)?|Xinhua|dpa|ANSA"
           r"|Kyodo|Yonhap|TASS|UPI|PA|Bloomberg|IRNA)")
# A parenthesized credit closing a paragraph that is nothing else or ends a sentence before
# it: "... Dec. 21, 2021. (Evelyn Hockstein/Pool via AP)". Prose rarely ends "sentence. (x)".
_TRAILING_CREDIT = re.compile(r"(?:^|[.!?\"”’]\s*)\((?P<credit>[^()]{1,80})\)\.?$")
# Credits that can only be about a picture: a photo word, "Name/Agency", "via AP".
_PICTURE_CREDIT = re.compile(
    r"\b(?:photos?|photograph(?:s|er)?|images?|pictures?|pics?|pool|file|courtesy"
    r"|illustration|screenshot|screengrab|getty|shutterstock|alamy)\b"
    rf"|/\s*{_AGENCY}\b|\bvia\s+{_AGENCY}\b",
    re.IGNORECASE,
)
# A bare agency, "(AP)": a caption credit at the top, but also how agency copy cites itself.
_AGENCY_ONLY = re.compile(_AGENCY, re.IGNORECASE)
_QUOTE_MARKS = re.compile("[\"“”«»]")
# A line that is only a credit: "Photo: AA", "Photo by ...", "Image credit: ...",
# "File photo", "(Photo: AA)".
_CREDIT_LINE = re.compile(
    r"^\(?\s*(?:file\s+)?(?:photo(?:graph)?s?|images?|pictures?|credits?)"
    r"(?:\s+credits?)?\s*(?::|/|\)|\bby\b|\bcourtesy\b|$)",
    re.IGNORECASE,
)


def is_photo_caption(paragraph: str, at_head: bool = False) -> bool:
    """A caption ending in a photo credit. Bare agency credits "(AP)" count only at the head
    of the body and without quoted speech, where a caption, not a quote source, stands."""
    if len(paragraph) > MAX_CAPTION_CHARS or not paragraph.endswith((")", ").")):
        return False
    match = _TRAILING_CREDIT.search(paragraph)
    if match is None:
        return False
    credit = match["credit"].strip()
    if _PICTURE_CREDIT.search(credit):
        return True
    return (at_head and _AGENCY_ONLY.fullmatch(credit) is not None
            and not _QUOTE_MARKS.search(paragraph))


def is_credit_line(paragraph: str) -> bool:
    """A short line that only credits a picture ("Photo: AA", "File photo")."""
    return len(paragraph) <= MAX_CREDIT_LINE_CHARS and _CREDIT_LINE.match(paragraph) is not None


# --- headline repeats and datelines ---------------------------------------------------------

# "ANKARA", "NEW YORK", "WASHINGTON, D.C.", "ISTANBUL, Jan. 3 (AA)", "KYIV, Ukraine (AP)".
# Letters-only words and separators never overlap, so matching stays linear.
_DATELINE = re.compile(
    r"(?P<place>[^\W\d_]+(?:[ .'’-]{1,2}[^\W\d_]+){0,3}\.?)"
    r"(?:,\s*(?P<extra>[^\W\d_][\w.' ,-]{0,24}?))?"
    r"(?:\s*\((?P<agency>[^\W\d_][^()]{0,29})\))?"
)
# Inline form: "ANKARA – Turkish Foreign Minister ...", "LONDON (Reuters) - Britain ...".
_INLINE_DATELINE = re.compile(r"(?P<head>[^\W\d_].{1,59}?)\s+[-–—]{1,2}\s+(?P<rest>\S.*)", re.S)
# Capitalized labels that sit where a dateline would but are not places.
_NOT_PLACES = frozenset({
    "ADVERTISEMENT", "ANALYSIS", "BREAKING", "BREAKING NEWS", "COMMENTARY", "EDITORIAL",
    "EXCLUSIVE", "FEATURE", "INTERVIEW", "LIVE", "NEWS", "OPINION", "PHOTOS", "REVIEW",
    "UPDATE", "UPDATED", "VIDEO", "WATCH",
})


def is_dateline(line: str) -> bool:
    """A place line in capitals, optionally with a region/date and an agency."""
    if len(line) > MAX_DATELINE_CHARS:
        return False
    match = _DATELINE.fullmatch(line)
    if match is None:
        return False
    place, extra = match["place"], match["extra"]
    return (place.isupper() and place.rstrip(".") not in _NOT_PLACES
            and (extra is None or extra[0].isupper()))


def split_inline_dateline(paragraph: str) -> tuple[str | None, str]:
    """``"ANKARA – Turkish ..."`` -> ``("ANKARA", "Turkish ...")``; else ``(None, paragraph)``."""
    match = _INLINE_DATELINE.fullmatch(paragraph)
    if match is None:
        return None, paragraph
    head, rest = match["head"], match["rest"]
    if not is_dateline(head) or not (rest[0].isupper() or rest[0].isdigit() or rest[0] in "\"“‘'"):
        return None, paragraph
    return head, rest


def _strip_head(paragraphs: list[str], title: str | None) -> tuple[list[str], str | None]:
    """Drop headline repeats and captions at the top; move the first dateline out."""
    title_key = normalize_for_hash(title) if title else ""
    dateline = None
    start = 0
    for paragraph in paragraphs[:HEAD_SCAN_LIMIT]:
        repeats_title = bool(title_key) and normalize_for_hash(paragraph) == title_key
        if repeats_title or is_photo_caption(paragraph, at_head=True):
            start += 1
        elif dateline is None and is_dateline(paragraph):
            dateline = paragraph
            start += 1
        else:
            break
    rest = paragraphs[start:]
    if dateline is None and rest:
        dateline, rest[0] = split_inline_dateline(rest[0])
    return rest, dateline


# --- site furniture -------------------------------------------------------------------------

# Why: these are the words with which sites sign off an article (share/follow/subscribe
# prompts, newsletter boxes, legal small print, comment notices). Each rule applies only to
# short paragraphs, so a long paragraph that mentions a newsletter is never dropped.
_FURNITURE_START = re.compile(
    r"(?:share (?:this|on|via)\b|follow us\b|subscribe (?:to|for|now|today)\b|sign up\b"
    r"|related(?: articles| stories| news| content)?\s*:|read (?:more|also|next)\b|see also\b"
    r"|also read\b|advertisement\b|sponsored\b|©|\(c\)\s*\d{4}|copyright\b"
    r"|all rights reserved\b|click here\b|comments are closed\b|keep up to date with\b"
    r"|stay up to date\b|you can unsubscribe\b|by signing up\b|download (?:our|the) app\b)",
    re.IGNORECASE,
)
_FURNITURE_SMALL_PRINT = re.compile(
    r"all rights reserved|recaptcha|unsubscribe (?:at )?any ?time"
    r"|(?:agree|consent) to (?:our|the) (?:terms|privacy)",
    re.IGNORECASE,
)
# A short heading (no sentence end) naming a site feature: "Sabah's daily newsletter".
_FURNITURE_HEADING = re.compile(
    r"newsletter|subscribe|sign up|follow us|share|related|advertisement|comments"
    r"|most (?:read|popular)|trending|recommended|you may also like",
    re.IGNORECASE,
)
_SENTENCE_END = (".", "!", "?", "\"", "”", "’", "'", ":")
# "Advertisement" on a line of its own is furniture wherever it stands.
_AD_MARKER = re.compile(
    r"advertisement|sponsored content|story continues below(?: advertisement)?", re.IGNORECASE)


def has_text(paragraph: str) -> bool:
    """False for lines of bare punctuation or symbols ("* * *", "—")."""
    return any(ch.isalnum() for ch in paragraph)


def is_tag_line(paragraph: str) -> bool:
    """A topic list such as "Diplomacy, US,": short capitalized items, commas, no sentence."""
    if len(paragraph) > MAX_TAG_LINE_CHARS or "," not in paragraph:
        return False
    if paragraph.endswith(_SENTENCE_END) or _QUOTE_MARKS.search(paragraph):
        return False
    items = [item.strip() for item in paragraph.split(",")]
    items = [item for item in items if item]
    return bool(items) and all(
        len(item.split()) <= 4 and (item[0].isupper() or item[0].isdigit()) for item in items
    )


def is_furniture(paragraph: str) -> bool:
    """Site furniture: prompts, small print, feature headings, tag lists, bare punctuation."""
    if not has_text(paragraph):
        return True
    if len(paragraph) > MAX_FURNITURE_CHARS:
        return False
    if _FURNITURE_START.match(paragraph) or _FURNITURE_SMALL_PRINT.search(paragraph):
        return True
    if (len(paragraph) <= MAX_HEADING_CHARS and not paragraph.endswith(_SENTENCE_END)
            and _FURNITURE_HEADING.search(paragraph)):
        return True
    return is_tag_line(paragraph)


def _strip_tail(paragraphs: list[str]) -> list[str]:
    """Drop furniture from the end backwards, stopping at the first real paragraph."""
    end = len(paragraphs)
    while end and is_furniture(paragraphs[end - 1]):
        end -= 1
    return paragraphs[:end]


def _is_noise(paragraph: str) -> bool:
    """Lines that are never article text, wherever they stand."""
    return (not has_text(paragraph)
            or _AD_MARKER.fullmatch(paragraph) is not None
            or is_credit_line(paragraph))


# --- the whole cleanup ----------------------------------------------------------------------

def clean_body(text: str, title: str | None) -> tuple[str, str | None]:
    """Clean one article body; returns ``(body, dateline)``.

    Whitespace is normalized and each non-empty line becomes a paragraph; then, in order:
    noise lines (bare punctuation, "Advertisement", picture credits) go; at the head,
    headline repeats and captions go and a dateline moves out; captions with a picture
    credit go anywhere; trailing site furniture goes. Paragraphs are joined by one blank line.
    """
    paragraphs = [p for p in split_paragraphs(text) if not _is_noise(p)]
    paragraphs, dateline = _strip_head(paragraphs, title)
    paragraphs = [p for p in paragraphs if not is_photo_caption(p)]
    paragraphs = _strip_tail(paragraphs)
    return PARAGRAPH_SEPARATOR.join(paragraphs), dateline
