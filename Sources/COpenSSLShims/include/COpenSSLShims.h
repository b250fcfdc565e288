#ifndef TOCSIN_COPENSSL_SHIMS_H
#define TOCSIN_COPENSSL_SHIMS_H

#include <openssl/bio.h>
#include <openssl/evp.h>

/// `BIO_get_mem_data` is a macro; returns the length and points `data` at the buffer.
long tocsin_bio_get_mem_data(BIO *bio, char **data);

/// `OPENSSL_free` is a macro (it records the caller's file and line); frees what OpenSSL allocated.
void tocsin_openssl_free(void *pointer);

/// `EVP_PKEY_ED25519`, the key type identifier of Ed25519 keys.
int tocsin_evp_pkey_ed25519(void);

#endif
