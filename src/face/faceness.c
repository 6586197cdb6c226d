/* faceness.c - the landmark-proportion check of faceness.h. */
#include "faceness.h"

#include <math.h>

static double dist(const double a[2], const double b[2])
{
    return hypot(a[0] - b[0], a[1] - b[1]);
}

/* Mean of points [from, to). */
static void centre(const double pts[LM_POINTS][2], int from, int to, double c[2])
{
    c[0] = c[1] = 0;
    for (int i = from; i < to; i++) {
        c[0] += pts[i][0];
        c[1] += pts[i][1];
    }
    c[0] /= to - from;
    c[1] /= to - from;
}

float face_faceness(const double landmarks[LM_POINTS][2])
{
    const double(*p)[2] = landmarks;
    double left[2], right[2];
    centre(p, 36, 42, left);
    centre(p, 42, 48, right);
    double eyes = dist(left, right);
    double widths = dist(p[36], p[39]) + dist(p[42], p[45])   /* eyes, corner to corner */
                    + dist(p[31], p[35])                       /* nose, wing to wing */
                    + dist(p[48], p[54]);                      /* mouth, corner to corner */
    if (!(eyes > 0) || !isfinite(eyes) || !isfinite(widths))
        return 0.0f;
    return (float)(widths / eyes);
}

int face_is_face(const face *f)
{
    return face_faceness(f->landmarks) >= FACE_FACENESS_MIN;
}
