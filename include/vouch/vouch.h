/*
 * vouch — everything in libvouch. Include this one header.
 * Link with pkg-config's `vouch` (libvouch shared or static).
 */
#ifndef VOUCH_VOUCH_H
#define VOUCH_VOUCH_H

#include "vouch/common.h"
#include "vouch/image_ref.h"
#include "vouch/pattern.h"
#include "vouch/policy.h"
#include "vouch/key.h"
#include "vouch/attestor.h"
#include "vouch/attestation.h"
#include "vouch/evaluate.h"

#endif /* VOUCH_VOUCH_H */
