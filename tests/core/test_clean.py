"""Text cleanup: golden outputs for the bundled samples, then each rule on small inputs."""
from __future__ import annotations

from pathlib import Path

import pytest

from newsbeam.core.text.clean import (
    clean_body,
    is_dateline,
    is_furniture,
    is_photo_caption,
    is_tag_line,
    normalize_for_hash,
    parse_plain_text,
    split_inline_dateline,
)

TESTS = Path(__file__).resolve().parents[1]
LONG_SENTENCE = ("The ministers discussed the crisis at length and agreed that further talks were "
                 "needed before the summit, officials from both countries said on Tuesday. ")


def clean_sample(stem: str) -> tuple[str | None, str, str | None]:
    title, body = parse_plain_text((TESTS / "fixtures" / f"{stem}.txt").read_text("utf-8"))
    text, dateline = clean_body(body, title)
    return title, text, dateline


def golden(stem: str) -> str:
    return (TESTS / "golden" / f"{stem}.expected.txt").read_text("utf-8").removesuffix("\n")


# --- golden samples -------------------------------------------------------------------------

SAMPLES = {
    "000_78f80f7743c66845": dict(
        title="Turkish, US top diplomats discuss bilateral ties, Ukraine crisis",
        dateline=None, paragraphs=18,
        first="Turkish Foreign Minister Mevlüt Çavuşoğlu and his United States counterpart",
        last="it would not be possible to move forward if fundamental issues are not addressed.",
        absent=["Evelyn Hockstein", "Pool via AP", "delivers year-end remarks"],
    ),
    "001_cb01ad8e5fa5d174": dict(
        title="Turkish, US officials discuss efforts to thaw Ukrainian crisis",
        dateline="ANKARA", paragraphs=10,
        first="Turkish Foreign Minister Mevlüt Çavuşoğlu on Feb. 8 had a telephone conversation",
        last="(OSCE) Minsk Group between Ukraine and Russia in Istanbul.",
        absent=["ANKARA\n"],
    ),
    "002_f14a7e196510d787": dict(
        title="Çavuşoğlu, Blinken discuss Russia-Ukraine tension over phone",
        dateline="ANKARA", paragraphs=11,
        first="Turkish Foreign Minister Mevlüt Çavuşoğlu and his U.S. counterpart, Antony",
        last="because our objective is clear,” the minister said.",
        absent=["Diplomacy, US", "Blinken discuss Russia-Ukraine tension over phone", "\u00a0"],
    ),
    "003_b3ca85e2acb0ca56": dict(
        title="Turkey, US to coordinate response to war in Ukraine, Ankara says",
        dateline=None, paragraphs=18,
        first="Turkey and the United States will remain in “close coordination”",
        last="to be taken for the implementation of the joint strategic mechanism.",
        absent=["newsletter", "Keep up to date", "unsubscribe", "reCAPTCHA", "Comments are"],
    ),
    "004_5a09f7355d518e00": dict(
        title="Çavuşoğlu, Stoltenberg hold phone call ahead of critical NATO talks",
        dateline=None, paragraphs=10,
        first="Turkey's Foreign Minister Mevlüt Çavuşoğlu held a phone call Wednesday",
        last="The region is one of the several sources of friction between Russia and Ukraine.",
        absent=["NATO logos are seen", "Reuters Photo"],
    ),
}


@pytest.mark.parametrize("stem", sorted(SAMPLES))
def test_sample_matches_golden(stem):
    expected = SAMPLES[stem]
    title, text, dateline = clean_sample(stem)
    assert text == golden(stem)
    assert title == expected["title"]
    assert dateline == expected["dateline"]
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == expected["paragraphs"]
    assert paragraphs[0].startswith(expected["first"])
    assert paragraphs[-1].endswith(expected["last"])
    assert title not in text
    for furniture in expected["absent"]:
        assert furniture not in text
    assert "\n\n\n" not in text and text == text.strip()


@pytest.mark.parametrize("stem", sorted(SAMPLES))
def test_cleaning_is_idempotent(stem):
    title, text, _ = clean_sample(stem)
    assert clean_body(text, title) == (text, None)


# --- plain-text format and whitespace -------------------------------------------------------

def test_parse_plain_text_takes_first_non_empty_line_as_title():
    assert parse_plain_text("\n\n  Headline here \nBody one\n\nBody two") == (
        "Headline here", "Body one\n\nBody two")


def test_parse_plain_text_without_a_headline():
    assert parse_plain_text("") == (None, "")
    long_line = LONG_SENTENCE * 4
    assert parse_plain_text(long_line) == (None, long_line)


def test_whitespace_is_normalized_and_paragraphs_separated_by_one_blank_line():
    text = "First\u00a0 long\tpara\u200bgraph.  \r\nSecond\u202fone.\n\n\n\n  Third.  \n"
    assert clean_body(text, None) == ("First long paragraph.\n\nSecond one.\n\nThird.", None)


def test_nfc_and_joiners():
    decomposed = "Cafe\u0301 in Tehran: \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645."
    body, _ = clean_body(decomposed, None)
    assert body.startswith("Café")
    assert "\u200c" in body  # ZWNJ spells Persian words; it is kept


def test_normalize_for_hash_ignores_case_quotes_spacing_and_width():
    a = "“Turkey’s  stance,” he said —\u00a0firmly."
    b = '"turkeys stance" HE said firmly'
    assert normalize_for_hash(a) == normalize_for_hash(b) == "turkeys stance he said firmly"
    assert normalize_for_hash("ＡＢＣ １２３") == "abc 123"  # NFKC folds full-width forms


# --- headline repeats and datelines ---------------------------------------------------------

def test_headline_repeats_at_the_top_are_dropped_but_not_later():
    title = "Talks resume in Geneva"
    text = f"TALKS RESUME IN GENEVA!\n{title}\nFirst paragraph.\n{title}\nLast."
    assert clean_body(text, title) == (f"First paragraph.\n\n{title}\n\nLast.", None)


@pytest.mark.parametrize("line", [
    "ANKARA", "NEW YORK", "WASHINGTON (Reuters)", "ISTANBUL, Jan. 3 (AA)", "KYIV, Ukraine (AP)",
    "WASHINGTON, D.C.", "SÃO PAULO", "ST. PETERSBURG",
])
def test_dateline_lines(line):
    assert is_dateline(line)
    assert clean_body(f"{line}\nThe talks began.", None) == ("The talks began.", line)


@pytest.mark.parametrize("line", [
    "Ankara", "UPDATE", "BREAKING NEWS", "ANKARA IS THE CAPITAL OF TURKEY AND HOSTS TALKS",
    "ANKARA, turkey", "2022",
])
def test_not_datelines(line):
    assert not is_dateline(line)


def test_only_the_first_dateline_at_the_head_is_taken():
    text = "ANKARA\nThe talks began.\nLONDON\nMore."
    assert clean_body(text, None) == ("The talks began.\n\nLONDON\n\nMore.", "ANKARA")


@pytest.mark.parametrize("paragraph, dateline, rest", [
    ("ANKARA – Turkish Foreign Minister spoke.", "ANKARA", "Turkish Foreign Minister spoke."),
    ("LONDON (Reuters) - Britain said on Monday.", "LONDON (Reuters)", "Britain said on Monday."),
    ("KYIV, Ukraine (AP) — “We stand,” he said.", "KYIV, Ukraine (AP)", "“We stand,” he said."),
])
def test_inline_dateline_is_split_off(paragraph, dateline, rest):
    assert split_inline_dateline(paragraph) == (dateline, rest)
    assert clean_body(paragraph + "\nNext.", None) == (f"{rest}\n\nNext.", dateline)


@pytest.mark.parametrize("paragraph", [
    "Turkey - a NATO member - said no.",
    "ANKARA – the capital – was calm.",   # continues in lower case: not a dateline
    "The price rose to 5 - 6 dollars.",
])
def test_inline_dash_that_is_not_a_dateline(paragraph):
    assert split_inline_dateline(paragraph) == (None, paragraph)


def test_inline_dateline_only_in_the_first_paragraph():
    text = "The talks began.\nANKARA – Officials said more."
    assert clean_body(text, None) == ("The talks began.\n\nANKARA – Officials said more.", None)


# --- photo captions and credits -------------------------------------------------------------

@pytest.mark.parametrize("caption", [
    "Leaders meet in Brussels, Belgium, Oct. 21, 2021. (Reuters Photo)",
    "Blinken speaks in Washington, Dec. 21, 2021. (Evelyn Hockstein/Pool via AP)",
    "Protesters march in Berlin. (AFP Photo)",
    "A view of the city. (Getty Images)",
    "Firefighters work at the site in Kyiv, Ukraine. (AP Photo/Emilio Morenatti)",
    "Rescue teams search the rubble. (Photo: AA)",
    "(AA Photo)",
])
def test_picture_captions_are_removed_anywhere(caption):
    text = f"{LONG_SENTENCE}\n{caption}\nClosing sentence."
    assert clean_body(text, None)[0] == f"{LONG_SENTENCE.strip()}\n\nClosing sentence."


def test_bare_agency_credit_is_a_caption_only_at_the_head():
    caption = "Soldiers patrol the border near Kharkiv, Ukraine, Jan. 5, 2022. (AP)"
    assert is_photo_caption(caption, at_head=True)
    assert not is_photo_caption(caption)
    assert clean_body(f"{caption}\nThe talks began.", None)[0] == "The talks began."


@pytest.mark.parametrize("paragraph", [
    LONG_SENTENCE * 3 + "Reports said talks would go on. (AP)",            # long: real text
    "“We will not give up,” the minister told reporters. (AP)",            # quoted speech
    "The speed limit was raised to 130 (km/h).",                            # no sentence before
    "Officials met in Ankara (Turkey) on Monday.",                          # credit mid-sentence
])
def test_real_paragraphs_ending_in_parentheses_are_kept(paragraph):
    assert not is_photo_caption(paragraph, at_head=True)
    assert clean_body(f"{paragraph}\nNext.", None)[0] == f"{paragraph}\n\nNext."


@pytest.mark.parametrize("line", [
    "Photo: AA", "Photo by Jane Doe", "Image credit: NASA", "File photo", "(Photo: AA)",
    "Photos: Reuters", "Photograph: Getty Images", "Advertisement", "* * *",
])
def test_credit_and_noise_lines_are_removed_anywhere(line):
    assert clean_body(f"First.\n{line}\nLast.", None)[0] == "First.\n\nLast."


def test_sentences_starting_with_photo_words_are_kept():
    text = "Photographs of the damage were shared widely on social media.\nPictures show it."
    assert clean_body(text, None)[0] == text.replace("\n", "\n\n")


# --- trailing furniture ---------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "Share this article", "Follow us on Twitter", "Subscribe to our newsletter",
    "Related: Turkey, US hold talks", "Read more: Talks in Geneva", "Advertisement",
    "© 2022 Daily Sabah", "Copyright 2022 Example Media. All rights reserved.",
    "Click here to read the full report.", "Comments are closed.", "Sabah’s daily newsletter",
    "Diplomacy, US,", "Middle East, Turkey, Diplomacy", "...", "— —",
    "You can unsubscribe anytime. By signing up, you agree to our Terms of Service.",
])
def test_trailing_furniture_is_removed(line):
    assert is_furniture(line)
    assert clean_body(f"{LONG_SENTENCE}\n{line}", None)[0] == LONG_SENTENCE.strip()


def test_trailing_scan_stops_at_the_first_real_paragraph():
    text = "Share this article\nThe talks will resume on Monday.\nComments are closed."
    assert clean_body(text, None)[0] == "Share this article\n\nThe talks will resume on Monday."


@pytest.mark.parametrize("paragraph", [
    "He declined to comment.",                                   # a real one-line paragraph
    "Yes.",
    "The findings were first reported in the Politico Playbook newsletter.",
    LONG_SENTENCE + "Readers can subscribe to the newsletter, which covers the region, "
    "and share it; the publisher said all rights reserved applied. " + LONG_SENTENCE.strip(),
    "“Never,” he said, “not once.”",
    "Turkey, the US and the EU disagree.",
])
def test_real_last_paragraphs_are_kept(paragraph):
    assert not is_furniture(paragraph)
    text = f"{LONG_SENTENCE.strip()}\n{paragraph}"
    assert clean_body(text, None)[0] == text.replace("\n", "\n\n")


@pytest.mark.parametrize("line, expected", [
    ("Diplomacy, US,", True), ("Politics, Middle East", True),
    ("Diplomacy", False), ("Turkey, he said.", False), ("turkey, us", False),
])
def test_tag_line(line, expected):
    assert is_tag_line(line) is expected


def test_cleanup_is_fast_on_a_long_article():
    import time
    text = "\n".join([LONG_SENTENCE * 3] * 300 + ["(" * 500 + "x" * 500 + ")"])
    start = time.perf_counter()
    clean_body(text, "Title")
    assert time.perf_counter() - start < 0.5
