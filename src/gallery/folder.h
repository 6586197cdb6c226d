/* folder.h - labelled folders, GIPHY's training layout: DIR/<Person>/<photo>,
 * one folder per person, with an optional DIR/labels.csv that gives a
 * folder its display name (folder names cannot hold '/', and are often
 * ASCII stand-ins: "Beyonce_Knowles" for "Beyoncé Knowles").
 *
 * labels.csv (RFC 4180, read with libcsv): one record per folder,
 *
 *     folder,name
 *     Beyonce_Knowles,Beyoncé Knowles
 *     "Smith, Will","Will Smith"
 *
 * The first record is a header when it reads folder,name. Columns past the
 * second are ignored; a record with fewer than two, an empty folder, a
 * folder listed twice or a name the gallery would refuse is an error that
 * names the line. A folder it does not list keeps its own name.
 *
 * `celeb enroll DIR` and `celeb eval DIR` list their photos through here. */
#ifndef CELEB_GALLERY_FOLDER_H
#define CELEB_GALLERY_FOLDER_H

#include <stddef.h>

#include "../core/error.h"
#include "gallery.h"

#define FOLDER_LABELS_MAX_BYTES (16 << 20)   /* a larger labels.csv is refused */

typedef struct folder_labels folder_labels;

/* Parses the text of a labels.csv. *out is owned by the caller: folder_labels_free. */
int folder_labels_parse(const char *text, size_t size, folder_labels **out, celeb_error *err);
void folder_labels_free(folder_labels *l);

/* The name labels.csv gives `folder`, or NULL when it does not list it. */
const char *folder_labels_name(const folder_labels *l, const char *folder);

/* Number of folders labels.csv lists. */
int folder_labels_count(const folder_labels *l);

/* One photo of a labelled folder. */
typedef struct folder_photo {
    char name[GALLERY_NAME_MAX];   /* the person; "" when `problem` says why there is none */
    char path[1024];
    char problem[300];             /* "" or why the folder gives no valid name */
} folder_photo;

/* Every visible file of every visible sub-folder of dir, sorted by folder
 * then file name, named by dir/labels.csv if it lists the folder, else by
 * the folder's name. A folder name the gallery would refuse (too long, not
 * UTF-8, control characters) gives its photos a `problem` instead of a
 * name. *out is malloc'd (NULL when *n == 0), caller frees. Errors: dir
 * unreadable (CELEB_EIO), a bad labels.csv (CELEB_EINVAL, with its line). */
int folder_list(const char *dir, folder_photo **out, int *n, celeb_error *err);

#endif
