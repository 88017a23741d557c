"""The way out of a refusal, named where the refusal is printed."""
from __future__ import annotations

from typing import Iterable

# reject reason -> what the user can change
REASON_HINTS = {
    "private_address": "loopback and private addresses are refused by default: set "
                       "fetch.allow_private_networks: true in the config "
                       "('newsbeam extract': --allow-private-networks)",
}


def hints(reasons: Iterable[str]) -> list[str]:
    """The hints for ``reasons`` ("stage:reason" or "reason"), each once, in order."""
    found = [REASON_HINTS.get(reason.rsplit(":", 1)[-1]) for reason in reasons]
    return list(dict.fromkeys(hint for hint in found if hint))
