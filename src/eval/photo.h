/* photo.h - one labelled photo as `celeb eval` and `celeb enroll` see it:
 * the descriptor of its subject's face. */
#ifndef CELEB_EVAL_PHOTO_H
#define CELEB_EVAL_PHOTO_H

#include "../face/faces.h"
#include "../gallery/gallery.h"

/* Decodes frame 0 of path, finds its faces with the engine (its options
 * decide the detector, the crop and the second look on a bigger canvas) and
 * copies the descriptor of the photo's subject to desc: the face nearest
 * the centre, in units of its own size. Returns 1
 * with a face, 0 with none, or a negative CELEB_E* code when the file cannot
 * be decoded. *faces (may be NULL) receives the number of faces found. */
int eval_photo_descriptor(face_engine *e, const char *path, float desc[GALLERY_DIM], int *faces,
                          celeb_error *err);

#endif
