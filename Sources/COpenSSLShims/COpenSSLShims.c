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
