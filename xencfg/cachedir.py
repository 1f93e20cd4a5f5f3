"""Where xencfg keeps what it learns between runs (results, compiled
patterns): ``$XENCFG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/xencfg`` or
``~/.cache/xencfg``, then a folder per version."""

from __future__ import annotations

import os

from . import __version__


def cache_dir() -> str:
    base = os.environ.get("XENCFG_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(
            os.path.expanduser("~"), ".cache"
        )
        base = os.path.join(xdg, "xencfg")
    return os.path.join(base, __version__)
