/**
 * Runs in every unit-test worker: no AWS endpoint, no credentials from the machine, so a
 * unit test that reached for AWS would fail at once instead of talking to anything.
 */
for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'MOTO_URL']) {
  delete process.env[name];
}
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
