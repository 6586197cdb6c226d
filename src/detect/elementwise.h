/* elementwise.h - the detectors' two in-place elementwise passes, written
 * with GCC/Clang vector extensions so they are SIMD at -O2 (GCC 12's -O2
 * cost model leaves the plain loops scalar). Per element they compute
 * exactly what the scalar expressions in the comments compute. */
#ifndef CELEB_DETECT_ELEMENTWISE_H
#define CELEB_DETECT_ELEMENTWISE_H

#include <stddef.h>
#include <string.h>

typedef float det_f32x4 __attribute__((vector_size(16)));
typedef int det_i32x4 __attribute__((vector_size(16)));

/* d[i] = d[i] / div + add (tfjs: tf.sub(tf.div(x, div), add) and friends). */
static inline void det_div_add(float *d, size_t n, float div, float add)
{
    const det_f32x4 vd = {div, div, div, div}, va = {add, add, add, add};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        det_f32x4 v;
        memcpy(&v, d + i, sizeof v);
        v = v / vd + va;
        memcpy(d + i, &v, sizeof v);
    }
    for (; i < n; i++)
        d[i] = d[i] / div + add;
}

/* face-api's leaky (tinyYolov2/leaky.ts) in float32:
 * m = x * 0.1; d[i] = relu(x - m) + m. */
static inline void det_leaky(float *d, size_t n)
{
    const float s = 0.10000000149011612f;
    const det_f32x4 vs = {s, s, s, s}, zero = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        det_f32x4 v;
        memcpy(&v, d + i, sizeof v);
        det_f32x4 m = v * vs, r = v - m;
        r = (det_f32x4)((det_i32x4)r & (r > zero));
        v = r + m;
        memcpy(d + i, &v, sizeof v);
    }
    for (; i < n; i++) {
        float m = d[i] * s, r = d[i] - m;
        d[i] = (r > 0.0f ? r : 0.0f) + m;
    }
}

#endif
