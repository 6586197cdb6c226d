/* nms.c - see nms.h. */
#include "nms.h"

#include <math.h>
#include <stdlib.h>

double nms_iou(const nms_box *a, const nms_box *b)
{
    double ax0 = fmin(a->x0, a->x1), ax1 = fmax(a->x0, a->x1);
    double ay0 = fmin(a->y0, a->y1), ay1 = fmax(a->y0, a->y1);
    double bx0 = fmin(b->x0, b->x1), bx1 = fmax(b->x0, b->x1);
    double by0 = fmin(b->y0, b->y1), by1 = fmax(b->y0, b->y1);
    double area_a = (ay1 - ay0) * (ax1 - ax0);
    double area_b = (by1 - by0) * (bx1 - bx0);
    if (area_a <= 0 || area_b <= 0)
        return 0.0;
    double ih = fmax(fmin(ay1, by1) - fmax(ay0, by0), 0.0);
    double iw = fmax(fmin(ax1, bx1) - fmax(ax0, bx0), 0.0);
    double inter = ih * iw;
    return inter / (area_a + area_b - inter);
}

static int by_score_low_index(const void *pa, const void *pb)
{
    const det_cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static int by_score_high_index(const void *pa, const void *pb)
{
    const det_cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->index < b->index) - (a->index > b->index);
}

void nms_sort(det_cand *c, int n, int ties_high_index_first)
{
    if (n > 1)
        qsort(c, (size_t)n, sizeof *c,
              ties_high_index_first ? by_score_high_index : by_score_low_index);
}

int nms_greedy(const det_cand *c, int n, double iou_thr, int max_keep, int *keep)
{
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (max_keep > 0 && kept >= max_keep)
            break;
        int ok = 1;
        for (int j = kept - 1; j >= 0 && ok; j--)
            if (nms_iou(&c[i].box, &c[keep[j]].box) > iou_thr)
                ok = 0;
        if (ok)
            keep[kept++] = i;
    }
    return kept;
}
