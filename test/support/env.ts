/**
 * Runs in every test worker before its tests: points the AWS SDK at this worker's moto and
 * makes sure nothing can reach real AWS with real credentials.
 */
const worker = process.env.JEST_WORKER_ID ?? '1';
const motoUrl = process.env[`MOTO_URL_${worker}`] ?? process.env.MOTO_URL_1;
if (!motoUrl) throw new Error('moto_server is not running: global setup did not start it');
process.env.MOTO_URL = motoUrl;
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_SESSION_TOKEN = 'testing';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ENDPOINT_URL = motoUrl;
delete process.env.AWS_PROFILE;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
