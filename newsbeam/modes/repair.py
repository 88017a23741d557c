"""``newsbeam verify --repair``: the repair (``store.repair``) under the output's lock, through
the lifecycle's ``holding`` (lock, then recovery, here without stopping at the damage)."""
from __future__ import annotations

from newsbeam.modes.lifecycle import holding
from newsbeam.store.repair import Repair, make_whole


def repair(output: str) -> Repair:
    with holding(output, "newsbeam verify --repair", check=False):
        return make_whole(output)
