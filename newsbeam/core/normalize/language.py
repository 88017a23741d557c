"""An article's language: declared by the page when well-formed, else detected offline."""
from __future__ import annotations

import re
import threading

import py3langid

_LANGUAGE_TAG = re.compile(r"^([a-zA-Z]{2})(?:[-_].*)?$")
# Shorter texts give unreliable language guesses; better null than wrong.
_MIN_CHARS_TO_DETECT_LANGUAGE = 40


def language_of(declared: str | None, text: str) -> str | None:
    """ISO 639-1 code: the page's declared language if well-formed, else detected."""
    match = _LANGUAGE_TAG.match(declared.strip()) if declared else None
    if match:
        return match.group(1).lower()
    if len(text) < _MIN_CHARS_TO_DETECT_LANGUAGE:
        return None
    code, _score = py3langid.classify(text[:5000])
    return code


_loading = threading.Lock()  # py3langid loads its model unguarded: one loader at a time


def warm_up() -> None:
    """Load the language model now (about a second) rather than inside the first element;
    safe to call from several threads (the others wait for the one loading)."""
    with _loading:
        py3langid.classify("warm up the language model")
