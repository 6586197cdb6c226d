/* sample.c - see sample.h. */
#include "sample.h"

#include <stdlib.h>

int sample_even(int n, int k, int *out)
{
    if (n <= 0 || k <= 0)
        return 0;
    if (k > n)
        k = n;
    for (int i = 0; i < k; i++)
        out[i] = (int)(((int64_t)i * n + k - 1) / k);   /* ceil(i * n / k) */
    return k;
}

void frame_signature(const image *img, frame_sig *sig)
{
    const int S = SAMPLE_SIG_SIDE;
    for (int gy = 0; gy < S; gy++) {
        int y0 = gy * img->height / S, y1 = (gy + 1) * img->height / S;
        if (y1 <= y0)
            y1 = y0 + 1;
        for (int gx = 0; gx < S; gx++) {
            int x0 = gx * img->width / S, x1 = (gx + 1) * img->width / S;
            if (x1 <= x0)
                x1 = x0 + 1;
            uint64_t sum = 0, count = 0;
            for (int y = y0; y < y1 && y < img->height; y++)
                for (int x = x0; x < x1 && x < img->width; x++) {
                    const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
                    sum += (uint64_t)(77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8;   /* BT.601 luma */
                    count++;
                }
            sig->grey[gy * S + gx] = (uint8_t)(count ? sum / count : 0);
        }
    }
}

double frame_sig_distance(const frame_sig *a, const frame_sig *b)
{
    long total = 0;
    for (int i = 0; i < SAMPLE_SIG_SIDE * SAMPLE_SIG_SIDE; i++)
        total += labs((long)a->grey[i] - (long)b->grey[i]);
    return (double)total / (SAMPLE_SIG_SIDE * SAMPLE_SIG_SIDE);
}
