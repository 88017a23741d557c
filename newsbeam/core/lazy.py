"""A function named by its module and name, imported where it first runs."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class ImportedFunction:
    """Calls ``module.name``, importing ``module`` on first use. A process that only hands
    items to a child process running it (``time_limit.TimeLimited``) never imports it: the
    extract stage keeps trafilatura (0.5 s of imports) out of the Beam worker. Pickles as
    the two names; equal when they are."""

    module: str
    name: str
    _loaded: list = field(default_factory=list, init=False, repr=False, compare=False)

    def load(self) -> Callable[[Any], Any]:
        if not self._loaded:
            self._loaded.append(getattr(importlib.import_module(self.module), self.name))
        return self._loaded[0]

    def __call__(self, item: Any) -> Any:
        return self.load()(item)

    def __getstate__(self):
        return {"module": self.module, "name": self.name}

    def __setstate__(self, state):
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_loaded", [])
