"""The HTTP service (``facecompare serve``): warm verify latency, and memory under concurrent requests.

    python benchmarks/serve_latency.py --model bundle/ [--runs 3] [--requests 100] [--load 200 --concurrency 4]
        [--max-side 320 --min-face 40]

Starts ``facecompare serve --port 0`` as its own process with an empty gallery, then, over HTTP with a
kept-alive connection: a few verifies to warm it up, ``--requests`` verifies one after another (timed at
the client: upload, decode, MTCNN on both photos, align, embed, score, JSON back), and ``--load`` verifies
from ``--concurrency`` client threads at once, reading the server's RSS (/proc/PID/status) after each
answer. Each of ``--runs`` runs starts a new server. Baseline: the same verify through the Python API in this
process (``facecompare verify``'s path, warm), in blocks of 20 alternating with the HTTP requests so that
both see the same load. Photos: skimage's astronaut (512 x 512 JPEG) and its mirror image, as in
inference_latency.py.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests
from PIL import Image
from skimage import data


def jpeg(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(out, "JPEG", quality=95)
    return out.getvalue()


PAIR = [
    ("image", ("astronaut.jpg", jpeg(data.astronaut()))),
    ("image", ("mirror.jpg", jpeg(data.astronaut()[:, ::-1]))),
]


BLOCK = 20  # verifies timed in a row over HTTP, then as many in this process


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start(model: Path, folder: Path, extra: list[str]) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "facecompare.cli", "serve", "--model", str(model), "--port", "0",
               "--gallery", str(folder / "gallery.db"), *extra]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    first = server.stdout.readline()  # "facecompare serve: http://127.0.0.1:PORT  (Ctrl-C stops it)"
    return server, first.split()[2]


def verify(session: requests.Session, url: str) -> float:
    began = time.perf_counter()
    answer = session.post(f"{url}/verify", files=PAIR, timeout=120)
    elapsed = time.perf_counter() - began
    if answer.status_code != 200:
        raise RuntimeError(f"{answer.status_code}: {answer.text}")
    return elapsed


def latency(url: str, local, requests_: int) -> dict:
    session = requests.Session()
    for _ in range(5):
        verify(session, url), local()
    # in blocks of BLOCK, alternating with the same verify in this process: both see the same load on a shared
    # machine, and each stays warm (alternating one by one, each found the other's data in the caches)
    times, in_process = [], []
    for _ in range(max(1, requests_ // BLOCK)):
        times += [verify(session, url) for _ in range(BLOCK)]
        in_process += [local() for _ in range(BLOCK)]
    times.sort()
    return {
        "p50_ms": 1000 * statistics.median(times),
        "p90_ms": 1000 * times[int(0.9 * (len(times) - 1))],
        "local_p50_ms": 1000 * statistics.median(in_process),
    }


def load(url: str, pid: int, count: int, concurrency: int) -> dict:
    per_thread = threading.local()
    rss: list[float] = []
    lock = threading.Lock()

    def send(_: int) -> int:
        if not hasattr(per_thread, "session"):
            per_thread.session = requests.Session()
        answer = per_thread.session.post(f"{url}/verify", files=PAIR, timeout=300)
        with lock:
            rss.append(rss_mb(pid))
        return answer.status_code

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        codes = list(pool.map(send, range(count)))
    wall = time.perf_counter() - began
    return {
        "ok": sum(code == 200 for code in codes),
        "load_rps": count / wall,
        "rss_after_50": rss[min(49, len(rss) - 1)],
        "rss_max_after_50": max(rss[50:] or rss),
        "rss_end": rss[-1],
    }


def one_run(args: argparse.Namespace, folder: Path, local) -> dict:
    extra = [f"--{name}={value}" for name, value in (("max-side", args.max_side), ("min-face", args.min_face)) if value]
    server, url = start(args.model, folder, extra)
    try:
        result = latency(url, local, args.requests) if args.requests else {}
        return result | (load(url, server.pid, args.load, args.concurrency) if args.load else {})
    finally:
        server.terminate()
        server.wait(60)


def local_verifier(model: Path, folder: Path, max_side: int | None, min_face: int | None):
    """The same verify through the Python API in this process (no HTTP), as ``facecompare verify`` builds it."""
    from facecompare.cli.common import finder as cli_finder
    from facecompare.inference import load_bundle
    from facecompare.inference.verify import verify as verify_files

    bundle = load_bundle(model)
    options = argparse.Namespace(detector="auto", device="cpu", max_side=max_side, min_face=min_face, faces="auto")
    finder = cli_finder(options, bundle)
    paths = []
    for _, (name, content) in PAIR:
        paths.append(folder / name)
        paths[-1].write_bytes(content)

    def run() -> float:
        began = time.perf_counter()
        verify_files(bundle, finder, *paths)
        return time.perf_counter() - began

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="bundle folder")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100, help="sequential verifies timed per run (0: none)")
    parser.add_argument("--load", type=int, default=200, help="verifies sent at once per run (0: none)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-side", type=int, help="detection override for both, as facecompare serve --max-side")
    parser.add_argument("--min-face", type=int, help="detection override for both, as facecompare serve --min-face")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    results = []
    with tempfile.TemporaryDirectory(prefix="fc-serve-bench-") as folder:
        local = local_verifier(args.model, Path(folder), args.max_side, args.min_face)
        for run in range(args.runs):
            results.append(r := one_run(args, Path(folder), local))
            line = f"run {run + 1}:"
            if args.requests:
                line += (
                    f" verify p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms"
                    f" (in this process, no HTTP: p50 {r['local_p50_ms']:.1f} ms);"
                )
            if args.load:
                growth = 100 * (r["rss_max_after_50"] / r["rss_after_50"] - 1)
                line += (
                    f" load: {r['ok']}/{args.load} answered 200 at {r['load_rps']:.1f} req/s; RSS after 50"
                    f" {r['rss_after_50']:.0f} MB, max after {r['rss_max_after_50']:.0f} MB (+{growth:.1f} %),"
                    f" end {r['rss_end']:.0f} MB"
                )
            print(line, flush=True)
    if args.requests:
        p50 = statistics.median(r["p50_ms"] for r in results)
        local_p50 = statistics.median(r["local_p50_ms"] for r in results)
        print(
            f"median of the runs' p50: {p50:.1f} ms over HTTP, {local_p50:.1f} ms in this process "
            f"({p50 / local_p50:.2f}x)"
        )
    if args.load:
        growth = max(r["rss_max_after_50"] / r["rss_after_50"] - 1 for r in results)
        print(
            f"all answered: {all(r['ok'] == args.load for r in results)}; "
            f"largest RSS growth after the first 50: {100 * growth:.1f} %"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
