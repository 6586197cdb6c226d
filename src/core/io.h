/* io.h - reading a whole stream or file into memory. */
#ifndef CELEB_CORE_IO_H
#define CELEB_CORE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Reads f to its end. On success *data (malloc'd, caller frees) holds *size
 * bytes and a NUL after them, so text can be parsed in place. */
int read_stream(FILE *f, const char *what, uint8_t **data, size_t *size, celeb_error *err);

/* The same for the file at path (CELEB_EIO if it cannot be opened,
 * CELEB_EFORMAT for a directory). */
int read_path(const char *path, uint8_t **data, size_t *size, celeb_error *err);

#endif
