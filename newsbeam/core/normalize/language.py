"""An article's language: declared by the page when well-formed, else detected offline.

The model is py3langid's: 68 MB of arrays shipped LZMA-compressed, ~0.45 s of CPU to
decompress in every process that detects a language (every run, each Beam worker, a
``follow``). The decompressed arrays are kept in newsbeam's cache folder (zstd, ~7 MB,
~0.06 s to read back), named by the model file's size and modification time; the
identifier is py3langid's own class built from the same arrays, so every guess is the
same. Where the cache cannot be read or written, or py3langid ships its model in another
layout, the model loads the way py3langid loads it.
"""
from __future__ import annotations

import contextlib
import io
import lzma
import os
import pathlib
import re
import tempfile
import threading

import numpy as np
import zstandard
from py3langid import langid

_LANGUAGE_TAG = re.compile(r"^([a-zA-Z]{2})(?:[-_].*)?$")
# Shorter texts give unreliable language guesses; better null than wrong.
_MIN_CHARS_TO_DETECT_LANGUAGE = 40
CACHE_VARIABLE = "NEWSBEAM_CACHE"


def language_of(declared: str | None, text: str) -> str | None:
    """ISO 639-1 code: the page's declared language if well-formed, else detected."""
    match = _LANGUAGE_TAG.match(declared.strip()) if declared else None
    if match:
        return match.group(1).lower()
    if len(text) < _MIN_CHARS_TO_DETECT_LANGUAGE:
        return None
    code, _score = identifier().classify(text[:5000])
    return code


def cache_folder() -> pathlib.Path:
    """What newsbeam can rebuild but keeps: ``$NEWSBEAM_CACHE``, else
    ``$XDG_CACHE_HOME/newsbeam``, else ``~/.cache/newsbeam``."""
    if os.environ.get(CACHE_VARIABLE):
        return pathlib.Path(os.environ[CACHE_VARIABLE])
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base) / "newsbeam"


_identifier: list = []  # the one loaded, once
_loading = threading.Lock()  # one loader at a time; the others wait for it


def identifier() -> langid.LanguageIdentifier:
    """py3langid's identifier with its model (loaded on first use)."""
    if not _identifier:
        with _loading:
            if not _identifier:
                _identifier.append(_load())
    return _identifier[0]


def warm_up() -> None:
    """Load the language model now rather than inside the first element; safe to call
    from several threads."""
    identifier()


def _load() -> langid.LanguageIdentifier:
    try:
        return _from_cache()
    except (ImportError, OSError, KeyError, ValueError, zstandard.ZstdError):
        return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)


def _from_cache() -> langid.LanguageIdentifier:
    """The identifier from the cached arrays (written first from the shipped model)."""
    from py3langid.modelio import _to_array  # the layout of py3langid >= 0.4

    model = pathlib.Path(langid.MODEL_DIR) / langid.MODEL_FILE
    if not model.name.endswith(".npz.xz"):
        raise ValueError(f"{model}: not the model layout the cache knows")
    stat = model.stat()
    cached = cache_folder() / f"py3langid-{stat.st_size}-{stat.st_mtime_ns}.npz.zst"
    try:
        npz = zstandard.decompress(cached.read_bytes())
    except (OSError, zstandard.ZstdError):
        npz = lzma.decompress(model.read_bytes())
        _store(cached, zstandard.compress(npz, 3))
    with np.load(io.BytesIO(npz), allow_pickle=False) as arrays:  # as py3langid reads them
        return langid.LanguageIdentifier(
            np.asarray(arrays["ptc"]), np.asarray(arrays["pc"]), arrays["classes"].tolist(),
            _to_array(arrays["nextmove"]), arrays["out_feat"].tolist(),
            tk_row=_to_array(arrays["nextmove_row"]))


def _store(path: pathlib.Path, data: bytes) -> None:
    """Best effort: whole or not at all (a run beside may read it), nothing where the
    folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
