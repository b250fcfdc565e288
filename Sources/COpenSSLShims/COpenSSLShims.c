#include "COpenSSLShims.h"

#include <openssl/crypto.h>

long tocsin_bio_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

void tocsin_openssl_free(void *pointer) {
    OPENSSL_free(pointer);
}

int tocsin_evp_pkey_ed25519(void) {
    return EVP_PKEY_ED25519;
}

int tocsin_ssl_ctx_harden(SSL_CTX *context) {
    if (SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) != 1) return 0;
    if (SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) != 1) return 0;
    SSL_CTX_set_options(context, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_set_num_tickets(context, 0) != 1) return 0;
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
    return 1;
}

long tocsin_bio_pending(BIO *bio) {
    return (long)BIO_pending(bio);
}
