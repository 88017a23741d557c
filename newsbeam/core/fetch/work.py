"""Units of work a stream receives (a URL pushed on Pub/Sub, or a source polled) and the
batch inputs they become: a page to fetch, or a feed/sitemap to list."""
from __future__ import annotations

import dataclasses
from typing import Mapping

from newsbeam.core.fetch.discovery import ListingInput
from newsbeam.core.fetch.pages import PageInput
from newsbeam.records.documents import Rejected

KINDS = ("page", "feed", "sitemap")
DEFAULT_SOURCE = "pubsub"
# The id of the subscriber's message a local stream relays (modes/pubsub_relay.py).
MESSAGE_ID_ATTRIBUTE = "newsbeam_message_id"
# A stopping local stream's relay sends one message with this attribute: it is no work
# (dropped as it is read), but the local runner's pull returns at once with it, so the
# watermark passes the open window's end now, not up to 30 s later (modes/stream.py).
TICK_ATTRIBUTE = "newsbeam_tick"


def is_tick(attributes: Mapping[str, str] | None) -> bool:
    return bool(attributes) and TICK_ATTRIBUTE in attributes


@dataclasses.dataclass(frozen=True)
class WorkItem:
    source: str
    uri: str
    kind: str = "page"
    message_id: str = ""  # a relayed message's id: committed with its window


def from_message(data: bytes, attributes: Mapping[str, str] | None = None) -> WorkItem:
    """A Pub/Sub message: the URL as its data; optional attributes ``kind`` (page, feed or
    sitemap; default page) and ``source`` (the source name rows carry; default pubsub)."""
    attributes = attributes or {}
    return WorkItem(attributes.get("source") or DEFAULT_SOURCE,
                    data.decode("utf-8", "replace").strip(), attributes.get("kind") or "page",
                    attributes.get(MESSAGE_ID_ATTRIBUTE, ""))


def to_input(item: WorkItem) -> PageInput | ListingInput:
    if item.kind not in KINDS:
        raise Rejected("bad_message", f"kind '{item.kind}' is not one of {', '.join(KINDS)}")
    if not item.uri.startswith(("http://", "https://")) or any(c.isspace() for c in item.uri):
        raise Rejected("bad_message", f"not an http(s) URL: {item.uri[:200]!r}")
    if item.kind == "page":
        return PageInput(item.source, item.uri)
    return ListingInput(item.source, item.uri, item.kind)
