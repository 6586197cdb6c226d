/* photo.c - the largest face of a labelled photo, see photo.h. */
#include "photo.h"

#include <stdlib.h>
#include <string.h>

#include "../media/media.h"

int eval_photo_descriptor(face_engine *e, const char *path, float desc[GALLERY_DIM], int *faces,
                          celeb_error *err)
{
    image img;
    face *found = NULL;
    int n = 0;
    if (faces)
        *faces = 0;
    int rc = media_read_frame(path, 0, &img, err);
    if (rc < 0)
        return rc;
    rc = face_engine_run(e, &img, &found, &n, err);
    image_free(&img);
    if (rc < 0)
        return rc;
    int best = 0;
    for (int f = 1; f < n; f++)
        if (found[f].box.w * found[f].box.h > found[best].box.w * found[best].box.h)
            best = f;
    if (n > 0)
        memcpy(desc, found[best].descriptor, GALLERY_DIM * sizeof *desc);
    free(found);
    if (faces)
        *faces = n;
    return n > 0;
}
