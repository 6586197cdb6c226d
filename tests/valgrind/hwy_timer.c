/* hwy_timer.c - a stand-in for the one libhwy function valgrind cannot run
 * here, preloaded only under valgrind (tests/valgrind.sh).
 *
 * libhwy (pulled in by FFmpeg's libjxl) measures its timer in a constructor
 * with RDTSCP. This machine's CPU runs RDTSCP but its CPUID does not list
 * it, so valgrind 3.19 refuses the instruction (SIGILL before main). The
 * resolution only matters to libhwy's own benchmarks; nothing of ours
 * uses it. */
#include <stdint.h>

uint64_t _ZN3hwy8platform15TimerResolutionEv(void);   /* hwy::platform::TimerResolution() */

uint64_t _ZN3hwy8platform15TimerResolutionEv(void) { return 1; }
