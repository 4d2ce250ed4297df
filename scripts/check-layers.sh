#!/bin/sh
# Who may call whom (docs/architecture.md), checked on the sources. The
# build already refuses most of it (each target sees only the include
# paths it owns); this catches what include paths cannot: calls into the
# store from the API adapters, and a layer reaching for a private header
# through a relative path.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
status=0

fail() {
    echo "check-layers: $1" >&2
    status=1
}

# Only the engine includes the engine's private headers.
hits=$(grep -rn --include='*.[ch]' -E '#include "(\.\./)*(engine/)?(internal|codec|doc|crypto|pgp|decision|key_internal|policy_internal|image_ref_internal|verify_cache)\.h"' src | grep -v '^src/engine/')
[ -z "$hits" ] || fail "engine-private header outside src/engine:
$hits"

# The API adapters never touch the store.
hits=$(grep -rn --include='*.[ch]' -E 'vouch_store_|vouch_resource_(clear|page_clear)|#include "store.h"|vsvc__' src/api)
[ -z "$hits" ] || fail "src/api reaches into the store or the service's internals:
$hits"

# The util layer depends on nothing of vouch's but the public common.h.
hits=$(grep -rn --include='*.[ch]' '#include "' src/util | grep -v -E '"(vutil_[a-z]+|vouch/common)\.h"')
[ -z "$hits" ] || fail "src/util includes another layer:
$hits"

# The Kubernetes module (src/k8s) sees libvouch's public API and the util
# layer, nothing else: the webhook's service and the CLI both build on it.
hits=$(grep -rn --include='*.[ch]' '#include "' src/k8s | grep -v -E '"(vk8s[a-z_]*|vutil_[a-z]+|vouch/[a-z_]+)\.h"')
[ -z "$hits" ] || fail "src/k8s includes another layer:
$hits"

# The store knows no layer above it.
hits=$(grep -rn --include='*.[ch]' -E '#include "(vsvc|platform|audit|server|registry)[a-z_]*\.h"' src/store)
[ -z "$hits" ] || fail "src/store includes a layer above it:
$hits"

# The service core does not depend on the Cloud Run part or the API.
hits=$(grep -rn --include='*.[ch]' -E '#include "(platform|platform_internal|runtime|server|router|run)\.h"' src/service)
[ -z "$hits" ] || fail "src/service includes the platform or the API:
$hits"

[ $status -eq 0 ] && echo "check-layers: ok"
exit $status
