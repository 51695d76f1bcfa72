"""Keep glibc's malloc from handing large freed blocks back to the operating system while the CPU trains or
embeds (training and evaluation call it; the inference package does not: a long-lived server should give
memory back).

glibc serves every allocation above 32 MB (its largest mmap threshold) with a fresh ``mmap`` and returns it
with ``munmap`` when freed. CPU training allocates activations of that size at every step (a batch of 128
images of 32 x 64 x 64 bf16 is 34 MB), so each step maps fresh pages and the kernel zeroes them on first
touch: measured on the 2-core VM with ``experiment=lfw_scratch``, 14.8 M page faults and 44 s of system time
in two epochs (106 s), against 0.4 M faults, 3 s and 76 s with freed memory kept (peak RSS 1.76 -> 1.93 GB);
evaluating that model on LFW View 1, 52 s against 29 s.
The usual cure is to preload jemalloc or tcmalloc; turning off glibc's ``mmap`` and trimming does the same
from inside the process with no extra package.
"""

from __future__ import annotations

import ctypes
import sys

# mallopt parameter numbers from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
# the largest value mallopt takes (an int): freed memory is kept up to 2 GB above the heap's top
KEEP_UP_TO = 2**31 - 1


def retain_freed_memory() -> bool:
    """Make glibc keep freed blocks for reuse (no ``mmap`` for large blocks, no trimming). Returns whether it
    applied: False off Linux or with another C library (musl has no ``mallopt``). Process-wide, for the rest
    of the process; peak memory stays reserved."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_MMAP_MAX, 0) == 1 and mallopt(M_TRIM_THRESHOLD, KEEP_UP_TO) == 1
