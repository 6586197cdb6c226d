/* bench/peak_flops.c - the machine's peak FP32 FLOP/s per core (and for all cores).
 *
 * Uses inline assembly, so it needs no -mavx512f and builds with the project's
 * plain CFLAGS:  cc -std=c11 -O2 -Wall -Wextra -Werror bench/peak_flops.c -lpthread
 * (the CPU must support AVX-512F; checked at run time).
 *
 * Measures
 *   1. core clock: chains of dependent scalar `add reg,reg` (1 cycle) and `imul` (3 cycles);
 *   2. core clock under AVX-512 load: a single dependent chain of zmm FMAs
 *      (4 cycles latency on Intel since Skylake-SP/Sapphire Rapids);
 *   3. FMA throughput with 12 independent zmm accumulators (and 12 ymm, AVX2) on
 *      1 thread and on N threads (default: all online CPUs).
 * Then FMA ops/cycle = FMA/s / GHz, and peak = FMA units x lanes x 2 flops x GHz.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define REP10(x) x x x x x x x x x x

/* 100 dependent register-register adds per iteration (an add-immediate chain would be
   folded at rename on Golden Cove / Sapphire Rapids and would run faster than 1/cycle) */
static void add_chain(uint64_t iters) {
    uint64_t r = 0, one = 1;
    __asm__ volatile("1:\n\t" REP10(REP10("add %2, %0\n\t")) "dec %1\n\tjnz 1b"
                     : "+r"(r), "+r"(iters)
                     : "r"(one)
                     : "cc");
}
/* 100 dependent 64-bit imuls per iteration (3 cycles latency) */
static void imul_chain(uint64_t iters) {
    uint64_t r = 3;
    __asm__ volatile("1:\n\t" REP10(REP10("imul %0, %0\n\t")) "dec %1\n\tjnz 1b"
                     : "+r"(r), "+r"(iters)
                     :
                     : "cc");
}

/* 10 dependent zmm FMAs per iteration */
static void fma_chain_zmm(uint64_t iters) {
    __asm__ volatile("vxorps %%zmm0, %%zmm0, %%zmm0\n\t"
                     "vxorps %%zmm1, %%zmm1, %%zmm1\n\t"
                     "vxorps %%zmm2, %%zmm2, %%zmm2\n\t"
                     "1:\n\t" REP10("vfmadd231ps %%zmm1, %%zmm2, %%zmm0\n\t") "dec %0\n\tjnz 1b\n\t"
                     "vzeroupper"
                     : "+r"(iters)
                     :
                     : "cc", "xmm0", "xmm1", "xmm2");
}

#define FMA1(R, i) "vfmadd231ps %%" R "14, %%" R "15, %%" R #i "\n\t"
#define FMA12(R)                                                                                   \
    FMA1(R, 0) FMA1(R, 1) FMA1(R, 2) FMA1(R, 3) FMA1(R, 4) FMA1(R, 5) FMA1(R, 6) FMA1(R, 7)        \
        FMA1(R, 8) FMA1(R, 9) FMA1(R, 10) FMA1(R, 11)
#define CLOBBER14                                                                                  \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",       \
        "xmm11", "xmm14", "xmm15"
#define FMA_PER_ITER 24.0

/* 24 independent zmm FMAs per iteration (12 accumulators, 2x unrolled; 2 ports x 4 cycles
   latency needs >= 8 in flight) */
static void fma_tput_zmm(uint64_t iters) {
    __asm__ volatile("vxorps %%xmm14, %%xmm14, %%xmm14\n\t"
                     "vxorps %%xmm15, %%xmm15, %%xmm15\n\t"
                     "1:\n\t" FMA12("zmm") FMA12("zmm") "dec %0\n\tjnz 1b\n\tvzeroupper"
                     : "+r"(iters)
                     :
                     : "cc", CLOBBER14);
}
/* the same with ymm (AVX2 FMA, 8 lanes) */
static void fma_tput_ymm(uint64_t iters) {
    __asm__ volatile("vxorps %%xmm14, %%xmm14, %%xmm14\n\t"
                     "vxorps %%xmm15, %%xmm15, %%xmm15\n\t"
                     "1:\n\t" FMA12("ymm") FMA12("ymm") "dec %0\n\tjnz 1b\n\tvzeroupper"
                     : "+r"(iters)
                     :
                     : "cc", CLOBBER14);
}

typedef void (*kern_fn)(uint64_t);

/* best (minimum) seconds per iteration over `reps` timed calls of about `sec` s */
static double sec_per_iter(kern_fn f, double sec, int reps) {
    uint64_t it = 1000;
    for (;;) { /* calibrate */
        double t0 = now_s();
        f(it);
        double t = now_s() - t0;
        if (t > 0.02) {
            it = (uint64_t)(it * (sec / t)) + 1;
            break;
        }
        it *= 4;
    }
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        f(it);
        double t = (now_s() - t0) / (double)it;
        if (t < best) best = t;
    }
    return best;
}

typedef struct {
    kern_fn f;
    double sec_iter;
    pthread_barrier_t *bar;
} thr_arg;
static void *thr_main(void *p) {
    thr_arg *a = p;
    pthread_barrier_wait(a->bar);
    a->sec_iter = sec_per_iter(a->f, 0.3, 5);
    return NULL;
}
/* aggregate iterations/s over n threads running the kernel concurrently */
static double iters_per_s_threads(kern_fn f, int n) {
    pthread_t th[64];
    thr_arg a[64];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        a[i].f = f;
        a[i].bar = &bar;
        pthread_create(&th[i], NULL, thr_main, &a[i]);
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        sum += 1.0 / a[i].sec_iter;
    }
    pthread_barrier_destroy(&bar);
    return sum;
}

int main(int argc, char **argv) {
    int nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (argc > 1) nthreads = atoi(argv[1]);
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 64) nthreads = 64;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) {
        fprintf(stderr, "this CPU has no AVX-512F\n");
        return 1;
    }
    char model[256] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10)) {
                char *c = strchr(line, ':');
                if (c) snprintf(model, sizeof model, "%s", c + 2);
                model[strcspn(model, "\n")] = 0;
                break;
            }
        fclose(f);
    }

    double ghz_scalar = 100.0 / sec_per_iter(add_chain, 0.2, 5) / 1e9;
    double ghz_imul = 300.0 / sec_per_iter(imul_chain, 0.2, 5) / 1e9;
    double ghz_avx512 = 10.0 * 4 / sec_per_iter(fma_chain_zmm, 0.2, 5) / 1e9;
    double zmm_fma_s = FMA_PER_ITER / sec_per_iter(fma_tput_zmm, 0.3, 5);
    double ymm_fma_s = FMA_PER_ITER / sec_per_iter(fma_tput_ymm, 0.3, 5);
    double zmm_all = FMA_PER_ITER * iters_per_s_threads(fma_tput_zmm, nthreads);
    double ymm_all = FMA_PER_ITER * iters_per_s_threads(fma_tput_ymm, nthreads);

    double fpc512 = zmm_fma_s / (ghz_scalar * 1e9); /* zmm FMA instructions per cycle */
    double fpc256 = ymm_fma_s / (ghz_scalar * 1e9);
    printf("peak_flops: %s, %d thread(s) for the all-core figures\n", model, nthreads);
    printf("clock (dependent add reg,reg chain, 1 cyc/add):      %.3f GHz\n", ghz_scalar);
    printf("clock (dependent imul chain, 3 cyc/imul):         %.3f GHz\n", ghz_imul);
    printf("clock (dependent zmm FMA chain, 4 cyc latency):     %.3f GHz\n", ghz_avx512);
    printf("AVX-512 FMA throughput, 1 core:  %.3f G FMA-instr/s = %.1f GFLOP/s  (%.2f FMA/cycle)\n",
           zmm_fma_s / 1e9, zmm_fma_s * 32 / 1e9, fpc512);
    printf("AVX2    FMA throughput, 1 core:  %.3f G FMA-instr/s = %.1f GFLOP/s  (%.2f FMA/cycle)\n",
           ymm_fma_s / 1e9, ymm_fma_s * 16 / 1e9, fpc256);
    printf("AVX-512 all %d cores:            %.1f GFLOP/s  (AVX2: %.1f GFLOP/s)\n", nthreads,
           zmm_all * 32 / 1e9, ymm_all * 16 / 1e9);
    int units = (int)(fpc512 + 0.5);
    printf("formula: peak/core = FMA units x 16 lanes x 2 flops x GHz = %d x 16 x 2 x %.2f = %.1f "
           "GFLOP/s (measured %.0f%% of it)\n",
           units, ghz_scalar, units * 16 * 2 * ghz_scalar,
           100.0 * zmm_fma_s * 32 / 1e9 / (units * 16 * 2 * ghz_scalar));
    printf("summary peak_fp32_gflops_per_core=%.1f peak_fp32_gflops_all=%.1f fma512_per_cycle=%.2f "
           "ghz=%.2f\n",
           zmm_fma_s * 32 / 1e9, zmm_all * 32 / 1e9, fpc512, ghz_scalar);
    return 0;
}
