"""One C heap per worker: each of a worker's threads would otherwise get a heap of its own.

glibc gives threads that allocate at the same moment separate heaps ("arenas", up to eight per
CPU). A worker's threads draw pages and answers whose sizes vary, and each heap keeps the holes
they leave, so a threaded worker's resident memory grows with its thread count long after its
own memories are full (about 10 MB at four threads, ``docs/benchmarks.md``). Python threads
take turns under the interpreter lock, so they seldom wait for one shared heap. An operator's
own ``MALLOC_ARENA_MAX`` is left alone, as is any C library other than glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

ARENAS = 1
_M_ARENA_MAX = -8  # mallopt's parameter number (glibc's malloc.h)


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Ask glibc for at most ``arenas`` heaps in this process and those forked from it;
    True when it agreed. Call before threads start."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))
