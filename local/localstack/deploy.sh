#!/usr/bin/env bash
# npm run localstack:deploy [-- <cdk deploy arguments, e.g. -c eventflow:processBatchSize=5>]
#
# Deploys the EventFlow stack to LocalStack (started with npm run localstack:up) with
# cdklocal, the pinned aws-cdk CLI wrapped to talk to LocalStack, then creates an API
# key for tenant "localstack" with every scope. Writes local/localstack/.state/
# cdk-outputs.json and api-key.json, which npm run localstack:test reads.
set -euo pipefail
# shellcheck source=local/localstack/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

localstack_ready
ensure_state_dir

echo "cdklocal bootstrap (the CDK's asset bucket and roles, once per LocalStack)"
cdklocal bootstrap "aws://$CDK_DEFAULT_ACCOUNT/$CDK_DEFAULT_REGION" --no-notices

echo "cdklocal deploy"
cdklocal deploy --no-notices --require-approval never --outputs-file "$OUTPUTS_FILE" "$@"

echo "npm run keys -- create (tenant localstack, every scope)"
umask 077
npm run --silent keys -- create --tenant localstack \
  --scopes events:write,events:read,admin --name localstack-e2e \
  --stack-outputs "$OUTPUTS_FILE" --json >"$KEY_FILE.tmp"
mv "$KEY_FILE.tmp" "$KEY_FILE"

api_url="$(tsx "$LOCALSTACK_DIR/outputs.ts" api-url "$OUTPUTS_FILE")"
echo
echo "Deployed. The API on LocalStack: $api_url"
echo "Its key is in ${KEY_FILE#"$REPO_ROOT"/} (mode 600). Try:"
echo "  export EVENTFLOW_API_KEY=\$(npx tsx local/localstack/outputs.ts api-key ${KEY_FILE#"$REPO_ROOT"/})"
echo "  curl -s $api_url/v1/health -H \"Authorization: Bearer \$EVENTFLOW_API_KEY\""
echo "Then: npm run localstack:test"
