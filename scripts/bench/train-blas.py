"""Single-precision matrix-multiply peak of this machine through numpy's bundled OpenBLAS (bench:train).
usage: OPENBLAS_NUM_THREADS=<t> python train-blas.py <n> [<n> ...]  -> one JSON line per size:
{"n", "threads", "gflops" (best of the repeats, wall clock), "median_gflops", "gflop_per_cpu_s", "blas"}; 2 n^3 flops per n x n x n sgemm."""
import json
import os
import statistics
import sys
import time

import numpy as np


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"numpy {np.__version__}, {cfg.get('name')} {cfg.get('version')}"
    except Exception:  # older numpy
        return f"numpy {np.__version__}"


def measure(n, budget_s=4.0):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    np.matmul(a, b, out=c)  # warm-up (thread pool start, page faults)
    times, cpu = [], []
    t_end = time.perf_counter() + budget_s
    while len(times) < 3 or (time.perf_counter() < t_end and len(times) < 50):
        t, p = time.perf_counter(), time.process_time()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - p)  # CPU seconds of all threads: robust to other work on the machine
    flops = 2.0 * n**3
    return {"n": n, "threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")), "gflops": flops / min(times) / 1e9,
            "median_gflops": flops / statistics.median(times) / 1e9, "gflop_per_cpu_s": flops / min(cpu) / 1e9,
            "repeats": len(times), "blas": blas_name()}


if __name__ == "__main__":
    for n in [int(x) for x in sys.argv[1:]] or [1024]:
        print(json.dumps(measure(n)), flush=True)
