#ifndef TOCSIN_COPENSSL_SHIMS_H
#define TOCSIN_COPENSSL_SHIMS_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

/// `BIO_get_mem_data` is a macro; returns the length and points `data` at the buffer.
long tocsin_bio_get_mem_data(BIO *bio, char **data);

/// `OPENSSL_free` is a macro (it records the caller's file and line); frees what OpenSSL allocated.
void tocsin_openssl_free(void *pointer);

/// `EVP_PKEY_ED25519`, the key type identifier of Ed25519 keys.
int tocsin_evp_pkey_ed25519(void);

/// Restricts a context to what Tocsin speaks: TLS 1.3 only, no session tickets, no
/// renegotiation, no compression. Returns 1 on success. (The version and option setters are
/// macros.)
int tocsin_ssl_ctx_harden(SSL_CTX *context);

/// `BIO_pending`: bytes waiting to be read from a BIO.
long tocsin_bio_pending(BIO *bio);

#endif
