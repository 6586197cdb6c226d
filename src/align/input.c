/* input.c - see input.h. */
#include "input.h"

#include <math.h>
#include <stdlib.h>

/* JS Math.round: halves round up. */
static int js_round(double v) { return (int)floor(v + 0.5); }

void input_from_region(const image *img, int_rect r, int size, int centred, const input_norm *norm,
                       float *out)
{
    /* Padded square: side = max(w,h); the region sits at (pad_x, pad_y) in it. */
    int side = r.w > r.h ? r.w : r.h;
    int diff = abs(r.w - r.h);
    int after = js_round(diff * (centred ? 0.5 : 1.0));
    int before = centred ? diff - after : 0;
    int pad_x = r.w < r.h ? before : 0;
    int pad_y = r.h < r.w ? before : 0;

    float scale = (float)side / (float)size;
    int stride = img->width * 3;
    for (int oy = 0; oy < size; oy++) {
        float sy = (float)oy * scale;
        int y0 = (int)floorf(sy);
        int y1 = y0 + 1 < side ? y0 + 1 : side - 1;
        float dy = sy - (float)y0;
        /* rows in region coordinates; outside [0,h) is zero padding */
        int ry0 = y0 - pad_y, ry1 = y1 - pad_y;
        int in0 = ry0 >= 0 && ry0 < r.h, in1 = ry1 >= 0 && ry1 < r.h;
        const uint8_t *row0 = img->rgb + (size_t)(r.y + (in0 ? ry0 : 0)) * stride;
        const uint8_t *row1 = img->rgb + (size_t)(r.y + (in1 ? ry1 : 0)) * stride;
        for (int ox = 0; ox < size; ox++) {
            float sx = (float)ox * scale;
            int x0 = (int)floorf(sx);
            int x1 = x0 + 1 < side ? x0 + 1 : side - 1;
            float dx = sx - (float)x0;
            int rx0 = x0 - pad_x, rx1 = x1 - pad_x;
            int ok0 = rx0 >= 0 && rx0 < r.w, ok1 = rx1 >= 0 && rx1 < r.w;
            size_t c0 = (size_t)(r.x + (ok0 ? rx0 : 0)) * 3, c1 = (size_t)(r.x + (ok1 ? rx1 : 0)) * 3;
            float *o = out + ((size_t)oy * size + ox) * 3;
            for (int c = 0; c < 3; c++) {
                float tl = in0 && ok0 ? row0[c0 + c] : 0.0f;
                float tr = in0 && ok1 ? row0[c1 + c] : 0.0f;
                float bl = in1 && ok0 ? row1[c0 + c] : 0.0f;
                float br = in1 && ok1 ? row1[c1 + c] : 0.0f;
                float top = tl + (tr - tl) * dx;
                float bottom = bl + (br - bl) * dx;
                float v = top + (bottom - top) * dy;
                o[c] = (v - norm->mean[c]) * norm->scale + norm->offset;
            }
        }
    }
}
