"""glibc malloc settings for CPU training (``training.reuse_freed_memory``).

Why: every CPU training step allocates and frees hundreds of activation and gradient tensors of
0.1-30 MB. glibc's malloc gives large blocks fresh ``mmap`` pages (its threshold starts at 128 KB
and only creeps up as blocks are freed) and hands free memory at the top of its heap back to the
kernel once it exceeds twice that threshold, so a step keeps paying again for the kernel to map and
zero memory it just released. With the mmap threshold fixed at its ceiling (32 MB), trimming only
above 1 GB and the heap grown 256 MB at a time, freed blocks are reused by the next step. The
arithmetic is unchanged (same losses to the digit); only where tensors live in memory moves.

The setting is process-wide and stays for the rest of the process (glibc has no way back to its
adaptive threshold): peak memory is about the same, but memory freed late in a run is kept rather
than returned. Elsewhere than glibc Linux (macOS, Windows, musl) it does nothing.

>>> isinstance(reuse_freed_memory(), bool)
True
"""

from __future__ import annotations

import ctypes
import platform
import sys

# mallopt(3) parameter numbers, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

SETTINGS = (
    (M_MMAP_THRESHOLD, 32 * 2**20),  # the largest glibc accepts on 64-bit; fixing it also stops the adaptation
    (M_TRIM_THRESHOLD, 2**30),
    (M_TOP_PAD, 256 * 2**20),
)


def reuse_freed_memory() -> bool:
    """Apply ``SETTINGS`` with ``mallopt``; True if glibc took all three, False where there is no
    glibc (nothing is changed there)."""
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return all(libc.mallopt(ctypes.c_int(param), ctypes.c_int(value)) == 1 for param, value in SETTINGS)
