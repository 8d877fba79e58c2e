#!/usr/bin/env python3
"""Quantization throughput per type: omnimodel's quantize_rows (WASM, SIMD128 build, in Node) vs
gguf-py's gguf.quants.quantize (numpy) vs ggml's reference C (quantize_row_*_ref, gcc -O2, from the
pinned llama-cpp-python sdist, as the vector generator uses), in one run, interleaved per type.
Reports medians of ROUNDS rounds, the min-max of the per-round ratios and the load average.
Usage: python bench.py [N_VALUES] [ROUNDS]  (needs npm run build, gcc, gguf==0.19.0)."""
import os, statistics, subprocess, sys, tempfile, time
import numpy as np
import gguf
from gguf.quants import quantize

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "fixtures", "gguf-writer", "quantize"))
import generate  # noqa: E402  (fetch_sdist and the harness's quantizer table)

TYPES = {"F16": 1, "BF16": 30, "Q8_0": 8, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q2_K": 10, "Q3_K": 11,
         "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "IQ4_NL": 20, "IQ4_XS": 23, "TQ1_0": 34, "TQ2_0": 35, "MXFP4": 39}

TIMER = r"""
#include <time.h>
int bench_main(int argc, char **argv);
"""

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    x = np.random.default_rng(18).uniform(-2, 2, n).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        ggml = generate.fetch_sdist(tmp)
        src = os.path.join(tmp, "h.c")
        # the generator's harness, timed: quantizes stdin REPS times and prints the median seconds
        code = generate.HARNESS.replace("int main(int argc, char **argv) {", "static int run(int argc, char **argv) {")
        code += r"""
#include <time.h>
int main(int argc, char **argv) {
  const char *type = argv[1]; int64_t n = atoll(argv[2]); int reps = atoi(argv[3]);
  float *x = malloc(n * 4); if (fread(x, 4, n, stdin) != (size_t)n) return 2;
  unsigned char *y = calloc(n * 4, 1); double best[64]; int k = 0;
  for (int r = 0; r < reps && r < 64; r++) {
    struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
    #undef Q
    #define Q(NAME, FN, BLK, ELEMS) if (!strcmp(type, NAME)) FN(x, (void *)y, n);
    Q("Q4_0", quantize_row_q4_0_ref, 0, 0) Q("Q4_1", quantize_row_q4_1_ref, 0, 0) Q("Q5_0", quantize_row_q5_0_ref, 0, 0)
    Q("Q5_1", quantize_row_q5_1_ref, 0, 0) Q("Q8_0", quantize_row_q8_0_ref, 0, 0) Q("Q2_K", quantize_row_q2_K_ref, 0, 0)
    Q("Q3_K", quantize_row_q3_K_ref, 0, 0) Q("Q4_K", quantize_row_q4_K_ref, 0, 0) Q("Q5_K", quantize_row_q5_K_ref, 0, 0)
    Q("Q6_K", quantize_row_q6_K_ref, 0, 0) Q("IQ4_NL", quantize_row_iq4_nl_ref, 0, 0) Q("IQ4_XS", quantize_row_iq4_xs_ref, 0, 0)
    Q("TQ1_0", quantize_row_tq1_0_ref, 0, 0) Q("TQ2_0", quantize_row_tq2_0_ref, 0, 0) Q("MXFP4", quantize_row_mxfp4_ref, 0, 0)
    if (!strcmp(type, "F16")) for (int64_t i = 0; i < n; i++) ((ggml_fp16_t *)y)[i] = GGML_FP32_TO_FP16(x[i]);
    if (!strcmp(type, "BF16")) for (int64_t i = 0; i < n; i++) ((ggml_bf16_t *)y)[i] = GGML_FP32_TO_BF16(x[i]);
    clock_gettime(CLOCK_MONOTONIC, &b); best[k++] = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
  }
  for (int i = 0; i < k; i++) for (int j = i + 1; j < k; j++) if (best[j] < best[i]) { double t = best[i]; best[i] = best[j]; best[j] = t; }
  printf("%.9f\n", best[k / 2]); (void)run; return y[0] == 255 && y[1] == 255 ? 1 : 0;
}
"""
        open(src, "w").write(code)
        exe = os.path.join(tmp, "h")
        subprocess.run(["gcc", "-O2", "-std=gnu11", "-ffp-contract=off", "-DNDEBUG", "-I", f"{ggml}/include", "-I", f"{ggml}/src",
                        src, f"{ggml}/src/ggml-quants.c", "-lm", "-o", exe], check=True)
        print(f"{n} values per pass, {rounds} rounds, load average {os.getloadavg()}")
        print(f"{'type':7} {'ours MB/s':>10} {'ggml C MB/s':>12} {'gguf-py MB/s':>13} {'ours/C (min-max)':>20} {'ours/gguf-py (min-max)':>24}")
        for name, tid in TYPES.items():
            ours, ref, py = [], [], []
            for _ in range(rounds):
                ours.append(float(subprocess.run(["node", os.path.join(HERE, "ours.mjs"), str(tid), str(n), "3"], capture_output=True, text=True, check=True).stdout))
                ref.append(float(subprocess.run([exe, name, str(n), "3"], input=x.tobytes(), capture_output=True, check=True).stdout))
                t = gguf.GGMLQuantizationType[name]
                try:
                    a = time.perf_counter(); quantize(x.reshape(-1, 256), t); py.append(time.perf_counter() - a)
                except NotImplementedError:
                    pass
            mb = lambda s: n * 4 / s / 1e6
            rc = [r / o for o, r in zip(ours, ref)]
            line = f"{name:7} {mb(statistics.median(ours)):10.1f} {mb(statistics.median(ref)):12.1f} "
            if py:
                rp = [p / o for o, p in zip(ours, py)]
                line += f"{mb(statistics.median(py)):13.1f} {statistics.median(rc):8.2f} ({min(rc):.2f}-{max(rc):.2f}) {statistics.median(rp):12.2f} ({min(rp):.2f}-{max(rp):.2f})"
            else:
                line += f"{'-':>13} {statistics.median(rc):8.2f} ({min(rc):.2f}-{max(rc):.2f}) {'(not in gguf-py)':>24}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
