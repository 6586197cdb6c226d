/* sha256.h - SHA-256 as lowercase hex (OpenSSL's EVP: SHA-NI where the CPU
 * has it, ~1.7 GB/s here). */
#ifndef CELEB_CORE_SHA256_H
#define CELEB_CORE_SHA256_H

#include <stddef.h>

/* The digest of the n parts, one after another, into hex (64 digits and a
 * NUL); hex is "" if OpenSSL fails. */
void sha256_hex_parts(const void *const *parts, const size_t *sizes, int n, char hex[65]);

void sha256_hex(const void *data, size_t size, char hex[65]);

#endif
