/* clock.h - the one monotonic clock every timing in the project reads. */
#ifndef CELEB_CORE_CLOCK_H
#define CELEB_CORE_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC): for differences only. */
double clock_s(void);

#endif
