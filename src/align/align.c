/* align.c - see align.h. */
#include "align.h"

#include <math.h>

int_rect box_clip(double x, double y, double w, double h, int img_w, int img_h)
{
    double x0 = fmax(x, 0.0), y0 = fmax(y, 0.0);
    double cw = fmin(x + w - x0, img_w - x0);
    double ch = fmin(y + h - y0, img_h - y0);
    int_rect r = {(int)floor(x0), (int)floor(y0), (int)floor(cw), (int)floor(ch)};
    return r;
}

void landmarks_to_image(const float *out, int crop_w, int crop_h, double box_x, double box_y,
                        double pts[68][2])
{
    /* FaceLandmark68NetBase.postProcess, in float32 like the tfjs tensors. */
    float size = 112.0f;
    double s = 112.0 / (crop_w > crop_h ? crop_w : crop_h);
    double wd = crop_w * s, hd = crop_h * s;
    float w = (float)wd, h = (float)hd;
    float pad_x = wd < hd ? (float)(fabs(wd - hd) / 2.0) : 0.0f;
    float pad_y = hd < wd ? (float)(fabs(wd - hd) / 2.0) : 0.0f;
    for (int i = 0; i < 68; i++) {
        float rx = (out[2 * i] * size - pad_x) / w;
        float ry = (out[2 * i + 1] * size - pad_y) / h;
        pts[i][0] = (double)rx * crop_w + box_x;
        pts[i][1] = (double)ry * crop_h + box_y;
    }
}

static void mean_point(const double pts[68][2], int from, int to, double *mx, double *my)
{
    double sx = 0, sy = 0;
    for (int i = from; i < to; i++) {
        sx += pts[i][0];
        sy += pts[i][1];
    }
    *mx = sx / (to - from);
    *my = sy / (to - from);
}

int_rect align_rect_dlib(const double pts[68][2], int crop_w, int crop_h)
{
    double lx, ly, rx, ry, mx, my;
    mean_point(pts, 36, 42, &lx, &ly);   /* left eye */
    mean_point(pts, 42, 48, &rx, &ry);   /* right eye */
    mean_point(pts, 48, 68, &mx, &my);   /* mouth */
    double eye_to_mouth = (sqrt((mx - lx) * (mx - lx) + (my - ly) * (my - ly)) +
                           sqrt((mx - rx) * (mx - rx) + (my - ry) * (my - ry))) / 2.0;
    double size = floor(eye_to_mouth / 0.45);
    double cx = (lx + rx + mx) / 3.0, cy = (ly + ry + my) / 3.0;
    double x = floor(fmax(0.0, cx - 0.5 * size));
    double y = floor(fmax(0.0, cy - 0.43 * size));
    int_rect r = {(int)x, (int)y, (int)fmin(size, crop_w + x), (int)fmin(size, crop_h + y)};
    return r;
}

const double align_template150[5][2] = {
    {50.41, 45.17}, {105.56, 44.80}, {78.37, 78.88}, {54.50, 104.85}, {103.67, 104.70}};

void align_five_points(const double pts[68][2], double five[5][2])
{
    mean_point(pts, 36, 42, &five[0][0], &five[0][1]);
    mean_point(pts, 42, 48, &five[1][0], &five[1][1]);
    five[2][0] = pts[30][0];
    five[2][1] = pts[30][1];
    five[3][0] = pts[48][0];
    five[3][1] = pts[48][1];
    five[4][0] = pts[54][0];
    five[4][1] = pts[54][1];
}

void align_fit_similarity(const double (*from)[2], const double (*to)[2], int n, double m[6])
{
    /* Least squares for to = [a -b; b a] * from + t (Umeyama in 2-D): with
     * both point sets centred, a = sum(f.p)/sum(|f|^2) and
     * b = sum(f x p)/sum(|f|^2), f the centred from points, p the to points. */
    double fc[2] = {0, 0}, tc[2] = {0, 0};
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            fc[k] += from[i][k] / n;
            tc[k] += to[i][k] / n;
        }
    double dot = 0, cross = 0, norm = 0;
    for (int i = 0; i < n; i++) {
        double fx = from[i][0] - fc[0], fy = from[i][1] - fc[1];
        double px = to[i][0] - tc[0], py = to[i][1] - tc[1];
        dot += fx * px + fy * py;
        cross += fx * py - fy * px;
        norm += fx * fx + fy * fy;
    }
    double a = norm > 0 ? dot / norm : 1, b = norm > 0 ? cross / norm : 0;
    m[0] = a;
    m[1] = -b;
    m[3] = b;
    m[4] = a;
    m[2] = tc[0] - (a * fc[0] - b * fc[1]);
    m[5] = tc[1] - (b * fc[0] + a * fc[1]);
}

void align_similarity(const double pts[68][2], int size, double m[6])
{
    double p[5][2], q[5][2];
    align_five_points(pts, p);
    for (int i = 0; i < 5; i++) {
        q[i][0] = align_template150[i][0] * size / 150.0;
        q[i][1] = align_template150[i][1] * size / 150.0;
    }
    align_fit_similarity(q, p, 5, m);
}
