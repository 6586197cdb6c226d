/* weights.h - load a tfjs weights manifest and its .bin into named float tensors.
 *
 * Format (NOTES.md §1): the manifest is a JSON array of groups, each
 * {"paths": [...], "weights": [{name, shape, dtype, quantization?}, ...]}.
 * The .bin files of a group are concatenated entries in manifest order, no
 * padding. A quantized entry is prod(shape) uint8 values q, dequantized as
 * q*scale + min (computed in double, stored as float32); an unquantized entry
 * is prod(shape) little-endian float32 or int32. int32 entries are stored here
 * as floats too (they are graph constants we never use).
 *
 * A quantized float tensor stays quantized (1 byte a value) until its floats
 * are asked for (nn_weights_get), or is handed over as it is
 * (nn_weights_take_filter): the big filters are dequantized only while
 * oneDNN packs them, so 47 MB of float copies are never all written. */
#ifndef CELEB_NN_WEIGHTS_H
#define CELEB_NN_WEIGHTS_H

#include "../core/error.h"

#define NN_MAX_RANK 4

typedef struct nn_weight {
    char *name;              /* e.g. "conv32_down/conv/filters", owned */
    int rank;                /* 0..4 */
    int shape[NN_MAX_RANK];  /* dims, tfjs order (HWIO for conv filters) */
    long count;              /* prod(shape), 1 for a scalar */
    float *data;             /* [count], owned; for a quantized float tensor made at first use */
    unsigned char *q;        /* [count] a quantized float tensor as stored, owned, or NULL */
    float *value;            /* [256] what each q stands for (q*scale + min), owned, or NULL */
    int taken;               /* handed to a layer (nn_weights_take_filter) */
} nn_weight;

/* A filter as a layer keeps it: the floats, or the quantized bytes and the
 * 256 values they stand for (4x smaller: the floats are made only while
 * oneDNN packs them). Exactly one of data and q is set. */
typedef struct nn_filter {
    float *data;             /* [count], owned, or NULL */
    unsigned char *q;        /* [count], owned, or NULL */
    float *value;            /* [256], owned with q */
} nn_filter;


typedef struct nn_weights {
    int count;
    nn_weight *items;        /* [count], owned */
    char path[512];          /* manifest path, for error messages */
    char sha256[65];         /* of the .bin bytes in manifest order (one file: its sha256); "" when parsed from memory */
    char manifest_sha256[65];   /* of the manifest text (its scales and dtypes), "" the same */
} nn_weights;

/* Loads manifest_path and the .bin file(s) it names (resolved relative to
 * the manifest's folder). On success w owns everything; free with
 * nn_weights_free. Returns 0 or CELEB_EIO / CELEB_EMODEL with err set. */
int nn_weights_load(nn_weights *w, const char *manifest_path, celeb_error *err);

/* Same, from in-memory manifest text and concatenated .bin bytes (for tests and fuzzing). */
int nn_weights_parse(nn_weights *w, const char *manifest_json, const unsigned char *bin,
                     long bin_size, celeb_error *err);

/* nn_weights_load of "<model_dir>/<model>-weights_manifest.json", the
 * layout of face-api's model folder. */
int nn_weights_load_model(nn_weights *w, const char *model_dir, const char *model,
                          celeb_error *err);

void nn_weights_free(nn_weights *w);

/* Returns the data of the tensor called name if its shape is exactly the
 * given dims (rank = number of dims), else NULL with err set. The pointer is
 * owned by w. */
const float *nn_weights_get(const nn_weights *w, const char *name, int rank, const int *dims,
                            celeb_error *err);

/* The same, but the tensor becomes the caller's (nn_conv_init_filter takes
 * it over), quantized if it was stored so, so that a layer can keep
 * it small and without a copy; the name is gone from w then. Returns 0 or
 * CELEB_EMODEL. */
int nn_weights_take_filter(nn_weights *w, const char *name, int rank, const int *dims,
                           nn_filter *f, celeb_error *err);

#endif
