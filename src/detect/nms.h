/* nms.h - greedy non-maximum suppression shared by the two detectors.
 *
 * Both of face-api's NMS variants reduce to the same greedy rule on boxes
 * sorted best first: a box is kept unless its IoU with an already kept box
 * is > iou_thr (strictly; IoU exactly at the threshold is kept).
 *   SSD  (ssdMobilenetv1/nonMaxSuppression.ts): IoU 0.5, at most maxResults.
 *   tiny (ops/nonMaxSuppression.ts): IoU 0.4, no maximum.
 * IoU follows SSD's IOU(): coordinates are min/max-ordered per axis, a box
 * of zero area has IoU 0 with everything. (tiny's iou() would give NaN and
 * drop the box when both areas are 0; its boxes never have zero area.) */
#ifndef CELEB_DETECT_NMS_H
#define CELEB_DETECT_NMS_H

typedef struct nms_box { double x0, y0, x1, y1; } nms_box;

typedef struct det_cand {
    nms_box box;   /* in whatever units the detector's NMS uses */
    double score;
    int index;     /* anchor / cell index in the net output */
} det_cand;

double nms_iou(const nms_box *a, const nms_box *b);

/* Sorts c[0..n) by score, descending; ties by index ascending, or
 * descending when ties_high_index_first (face-api's stable sorts). */
void nms_sort(det_cand *c, int n, int ties_high_index_first);

/* c[0..n) sorted best first. Writes the positions (into c) of the kept boxes
 * to keep, in order, and returns their number; stops after max_keep kept
 * (max_keep <= 0: no maximum). Cost: O(n * kept). */
int nms_greedy(const det_cand *c, int n, double iou_thr, int max_keep, int *keep);

#endif
