"""Pub/Sub messages -> work items -> the inputs batch stages take."""
import pytest

from newsbeam.core.fetch.discovery import ListingInput
from newsbeam.core.fetch.pages import PageInput
from newsbeam.core.fetch.work import WorkItem, from_message, to_input
from newsbeam.records.documents import Rejected


def test_a_message_is_a_url_with_optional_kind_and_source():
    assert from_message(b" https://example.com/a \n") == WorkItem("pubsub", "https://example.com/a")
    item = from_message(b"https://example.com/feed", {"kind": "feed", "source": "wire"})
    assert to_input(item) == ListingInput("wire", "https://example.com/feed", "feed")
    assert to_input(from_message(b"https://example.com/a")) == PageInput("pubsub",
                                                                           "https://example.com/a")


@pytest.mark.parametrize("data, attributes", [(b"not a url", {}), (b"ftp://x/y", {}),
                                              (b"https://e.com/a b", {}),
                                              (b"https://e.com/", {"kind": "warc"})])
def test_bad_messages_are_rejected_with_a_reason(data, attributes):
    with pytest.raises(Rejected) as refusal:
        to_input(from_message(data, attributes))
    assert refusal.value.reason == "bad_message"
