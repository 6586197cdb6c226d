/* sha256.c - see sha256.h. */
#include "sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

void sha256_hex_parts(const void *const *parts, const size_t *sizes, int n, char hex[65])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    hex[0] = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (int i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(c, parts[i], sizes[i]);
    ok = ok && EVP_DigestFinal_ex(c, digest, &len) && len == 32;
    EVP_MD_CTX_free(c);
    for (int i = 0; ok && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void sha256_hex(const void *data, size_t size, char hex[65])
{
    sha256_hex_parts(&data, &size, 1, hex);
}
