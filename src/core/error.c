/* error.c - see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int celeb_fail(celeb_error *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->code = code;
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *celeb_error_name(int code)
{
    switch (code) {
    case CELEB_OK: return "ok";
    case CELEB_EIO: return "io";
    case CELEB_EFORMAT: return "format";
    case CELEB_ECORRUPT: return "corrupt";
    case CELEB_ELIMIT: return "limit";
    case CELEB_ENOMEM: return "nomem";
    case CELEB_EMODEL: return "model";
    case CELEB_EINVAL: return "invalid";
    case CELEB_EINTERNAL: return "internal";
    default: return "unknown";
    }
}
