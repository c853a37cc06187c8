import { logger } from 'hopscope';
import { startTestService } from './service.js';

const rawPort = process.env.PORT ?? '5000';
const port = Number(rawPort);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`w3c-test-service: PORT must be an integer 0-65535, got "${rawPort}"`);
  process.exit(2);
}
const host = process.env.HOST ?? '127.0.0.1';

const service = await startTestService(port, host);
logger.info('w3c_test_service_listening', { url: service.url });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void service.close().then(() => process.exit(0));
  });
}
