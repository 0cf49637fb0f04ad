#!/usr/bin/env bash
# npm run localstack:test [-- <vitest arguments, e.g. test/e2e/pipeline.test.ts>]
#
# The e2e suite against the stack npm run localstack:deploy put on LocalStack:
# EVENTFLOW_URL (its API), EVENTFLOW_API_KEY (the key deploy created) and
# EVENTFLOW_STACK_OUTPUTS (so the suite can make and revoke keys of its own, against
# LocalStack's DynamoDB and API Gateway). Tests that need the local runtime's controls
# (/_local/faults, signals, its own process) skip themselves when EVENTFLOW_URL is set.
set -euo pipefail
# shellcheck source=local/localstack/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

localstack_ready
EVENTFLOW_URL="${EVENTFLOW_URL:-$(tsx "$LOCALSTACK_DIR/outputs.ts" api-url "$OUTPUTS_FILE")}"
EVENTFLOW_API_KEY="$(tsx "$LOCALSTACK_DIR/outputs.ts" api-key "$KEY_FILE")"
export EVENTFLOW_URL EVENTFLOW_API_KEY
export EVENTFLOW_STACK_OUTPUTS="$OUTPUTS_FILE"

echo "e2e suite against $EVENTFLOW_URL"
# One request first: a clear message (and no hundred identical failures) when the
# platform cannot answer at all.
tsx "$LOCALSTACK_DIR/outputs.ts" preflight "$EVENTFLOW_URL" "$EVENTFLOW_API_KEY"
exec vitest run --project e2e "$@"
