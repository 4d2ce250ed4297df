/*
 * libFuzzer target for the first-record check of the TLS port
 * (api_tls_judge_first_record, src/api/tls.c): any client's first bytes.
 * It reads at most 11 of them, asks for more only while it has fewer than
 * 11 that start a handshake record, and answers 0, 10 or 70.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool more = false;
    int alert = api_tls_judge_first_record(data, size, &more);

    if (alert != 0 && alert != 10 && alert != 70) {
        abort();
    }
    if (more && (alert != 0 || (size >= 11) ||
                 (size > 0 && data[0] != 0x16))) {
        abort();
    }
    return 0;
}
