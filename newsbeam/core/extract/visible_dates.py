"""A publication date the page prints after a label ("Veröffentlicht am 16.08.2019",
"Published: 30 January 2017", "Publié le 3 mars 2020"): the page's own words, read when
it declares no date (JSON-LD, meta) and before htmldate's guesses from the whole page."""
from __future__ import annotations

import re
from datetime import date

from lxml import etree
from lxml.html import HtmlElement

# Labels of the publication date; those of a change ("Aktualisiert", "Updated", "Letzte
# Änderung", "Mis à jour") are not here: a change is not the publication.
_LABEL = re.compile(
    r"(?<![\w-])(?:published|first published|posted|veröffentlicht|erschienen|erstellt|"
    r"publiziert|verfasst|publié|mis en ligne|publicado|pubblicato|gepubliceerd)"
    r"(?:\s+(?:on|am|le|el|em|il|op))?\s*:?\s*|(?<![\w-])(?:datum|date|written|fecha)\s*:\s*",
    re.IGNORECASE)

_MONTHS = {}
for _names in (
        "january february march april may june july august september october november december",
        "januar februar märz april mai juni juli august september oktober november dezember",
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
        "diciembre",
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
        "dicembre",
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
        "dezembro",
        "januari februari maart april mei juni juli augustus september oktober november "
        "december"):
    for _number, _name in enumerate(_names.split(), 1):
        _MONTHS.setdefault(_name, _number)
        _MONTHS.setdefault(_name[:3], _number)  # "Jan.", "Sept" (below), "févr." read as 3
_MONTHS["sept"] = 9
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

# The date right after the label: a weekday or "the" may come between ("am Mittwoch,").
_DATE = re.compile(
    r"^(?:[^\W\d]+,?\s+){0,1}(?:"
    r"(?P<d1>\d{1,2})\.\s?(?P<m1>\d{1,2})\.\s?(?P<y1>\d{4})"
    r"|(?P<y2>\d{4})-(?P<m2>\d{2})-(?P<d2>\d{2})"
    rf"|(?P<d3>\d{{1,2}})\.?\s+(?:de\s+)?(?P<m3>{_MONTH})\.?,?\s+(?:de\s+)?(?P<y3>\d{{4}})"
    rf"|(?P<m4>{_MONTH})\.?\s+(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y4>\d{{4}})"
    r")(?!\d)", re.IGNORECASE)

_MAX_LABEL_TEXT = 200  # a longer text holding a label is prose, not a date line
_MAX_BEFORE_LABEL = 20  # "Issue Published:", "Posted on"; further in, the label is prose
_TEXTS = etree.XPath("//body//text()[normalize-space()]")
_NOT_TEXT = frozenset({"script", "style", "title", "template"})
_LEVELS = 2  # the label's element, then its parent


def _date_after(text: str) -> date | None:
    match = _DATE.match(text.lstrip(" :"))
    if not match:
        return None
    for n in "1234":
        if match[f"y{n}"]:
            month = match[f"m{n}"]
            month = int(month) if month.isdigit() else _MONTHS[month.casefold()]
            try:
                return date(int(match[f"y{n}"]), month, int(match[f"d{n}"]))
            except ValueError:
                return None
    return None


def _following_text(node: etree._ElementUnicodeResult, label_end: int) -> list[str]:
    """The text after the label in its own text node, then in its element and the parent
    (``<span>Veröffentlicht am</span> <time>16.08.2019</time>``)."""
    own = " ".join(node[label_end:].split())
    texts = [own]
    element = node.getparent() if node.is_text else node.getparent().getparent()
    rest = " ".join(node.split())
    for _ in range(_LEVELS):
        if element is None or element.tag in _NOT_TEXT:
            break
        whole = " ".join(element.text_content().split())
        at = whole.find(rest)
        if at >= 0:
            texts.append(whole[at + len(rest):])
        element = element.getparent()
    return texts


def labelled_date(tree: HtmlElement) -> str | None:
    """The first date printed after a publication label, "YYYY-MM-DD"; None if none.
    Only a label near the start of a short text counts: "… wurde veröffentlicht am …" in
    a paragraph is not a date line."""
    for node in _TEXTS(tree):
        if len(node) > _MAX_LABEL_TEXT or node.getparent().tag in _NOT_TEXT:
            continue
        label = _LABEL.search(node)
        if not label or len(node[:label.start()].strip()) > _MAX_BEFORE_LABEL:
            continue
        for text in _following_text(node, label.end()):
            found = _date_after(text)
            if found:
                return found.isoformat()
            if text.strip():
                break  # words follow the label, not a date: no date line
    return None
