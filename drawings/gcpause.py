"""Pausing Python's cyclic garbage collector around bulk work on drawings.

Reading, indexing, flattening and diffing a big sheet allocate hundreds of thousands of small
objects with no reference cycles; each young-generation pass would rescan them for nothing
(it more than doubles the run time).  On leaving, the survivors are filed with the
long-lived objects (``gc.freeze``/``gc.unfreeze``, constant time), so the caller's next
allocation does not pay one big pass over them either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic GC for the block; nested uses are no-ops."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()
