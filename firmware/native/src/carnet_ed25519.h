/* Public interface of the carnet Ed25519 blob (see ed25519.c and ../README.md). */
#ifndef CARNET_ED25519_H
#define CARNET_ED25519_H

#include <stdint.h>

/* Bumped whenever an entry point changes its arguments or meaning; the JS wrapper refuses a blob whose
 * carnet_ed25519_version() differs from the one it was generated for. */
#define CARNET_ED25519_ABI 1

int carnet_ed25519_verify(const uint8_t *sig64, const uint8_t *pub32, const uint8_t *msg, int32_t msglen);
int carnet_ed25519_sign(uint8_t *sig64_out, const uint8_t *seed32, const uint8_t *msg, int32_t msglen);
int carnet_ed25519_pubkey(uint8_t *pub32_out, const uint8_t *seed32);
int carnet_sha512(uint8_t *out64, const uint8_t *msg, int32_t msglen);
int carnet_ed25519_check_pubkey(const uint8_t *pub32);
int carnet_ed25519_version(void);

#endif
