# Sourced by deploy.sh and test.sh: every AWS client these scripts start (cdklocal, the
# CDK CLI, npm run keys, the e2e suite's key management) talks to LocalStack with dummy
# credentials, never to an AWS account, whatever the calling shell had configured.
# shellcheck shell=bash

LOCALSTACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$LOCALSTACK_DIR/../.." && pwd)"
# The project's binaries first: Node 24 (the `node` devDependency), cdklocal, tsx, vitest.
export PATH="$REPO_ROOT/node_modules/.bin:$PATH"

# Deployment outputs and the API key; .state/ ignores itself (see ensure_state_dir).
STATE_DIR="$LOCALSTACK_DIR/.state"
OUTPUTS_FILE="$STATE_DIR/cdk-outputs.json"
KEY_FILE="$STATE_DIR/api-key.json"

# Credentials and profiles of a real account must not reach any client started from here.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
  AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
# LocalStack's edge port (docker-compose.yml publishes it on 127.0.0.1). LOCALSTACK_ENDPOINT
# points elsewhere, e.g. LocalStack on another Docker host.
export AWS_ENDPOINT_URL="${LOCALSTACK_ENDPOINT:-http://localhost:4566}"
# cdklocal requires it next to AWS_ENDPOINT_URL. Asset buckets are addressed by virtual
# host (<bucket>.s3.localhost.localstack.cloud), a public DNS name that resolves to 127.0.0.1.
export AWS_ENDPOINT_URL_S3="${LOCALSTACK_S3_ENDPOINT:-http://s3.localhost.localstack.cloud:4566}"
# cdklocal drops every other AWS_* variable before it runs the CDK CLI, except these.
export AWS_ENVAR_ALLOWLIST=AWS_REGION,AWS_DEFAULT_REGION,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY
# LocalStack's account id; the stack itself is environment-agnostic.
export CDK_DEFAULT_ACCOUNT=000000000000
export CDK_DEFAULT_REGION=us-east-1
export CDK_DISABLE_CLI_TELEMETRY=true
export CDK_HOME="${CDK_HOME:-$REPO_ROOT/.cdk-home}"

ensure_state_dir() {
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  # Never committed, never linted: it holds an API key.
  [ -f "$STATE_DIR/.gitignore" ] || printf '*\n' >"$STATE_DIR/.gitignore"
}

localstack_ready() {
  tsx "$LOCALSTACK_DIR/outputs.ts" ready
}
