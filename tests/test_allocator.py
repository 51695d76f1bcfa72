import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

# Runs in its own process: the setting is process-wide and cannot be undone cleanly.
CHURN = textwrap.dedent(
    """
    import ctypes
    import resource
    from facecompare.allocator import retain_freed_memory

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_void_p]

    def faults_of_allocating_64mb_five_times():
        # plain malloc as torch's CPU allocator does (numpy would ask for huge pages, which fault less)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(5):
            block = libc.malloc(64 << 20)  # above glibc's largest mmap threshold
            ctypes.memset(block, 1, 64 << 20)
            libc.free(block)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    plain = faults_of_allocating_64mb_five_times()
    applied = retain_freed_memory()
    faults_of_allocating_64mb_five_times()  # the first pass grows the heap once
    kept = faults_of_allocating_64mb_five_times()
    print(applied, plain, kept)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_blocks_are_reused_instead_of_mapped_afresh() -> None:
    proc = subprocess.run([sys.executable, "-c", CHURN], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    applied, plain, kept = proc.stdout.split()
    if applied != "True":
        pytest.skip("not glibc")
    if int(plain) < 5 * 16384 * 0.9:
        pytest.skip("this kernel backs malloc with huge pages (transparent huge pages: always)")
    # every fresh 64 MB mapping faults in its pages (16384 of 4 KB); a reused block faults in none of them
    assert int(kept) < int(plain) / 10, (plain, kept)


def test_a_bad_setting_is_refused_before_any_work(make_cfg) -> None:
    from facecompare.errors import ConfigError
    from facecompare.training.train import train

    with pytest.raises(ConfigError, match="retain_freed_memory must be a valid boolean or 'auto', got 'sometimes'"):
        train(make_cfg("retain_freed_memory=sometimes"))
