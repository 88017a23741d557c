import unicodedata

from newsbeam.core.text import punctuation


def test_the_written_table_is_this_unicode_versions_punctuation():
    if unicodedata.unidata_version == punctuation.UNICODE_VERSION:
        assert punctuation.written() == punctuation.scanned()
    assert punctuation.punctuation() == punctuation.scanned()
    assert {ord("!"), ord("\u201c"), ord("\u3002")} <= punctuation.punctuation()
    assert ord("a") not in punctuation.punctuation()
