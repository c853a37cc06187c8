/**
 * What every demo service process shares: its settings from the environment (the topology
 * passes ports and URLs), Hopscope's `init()`, a readiness message to the parent, and a clean
 * stop — on SIGTERM/SIGINT or when the parent goes away (its IPC channel closes), so a killed
 * demo never leaves services behind.
 */
import { type HopscopeHandle, init, logger } from 'hopscope';

export function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `demo service: environment variable ${name} is required (the topology sets it)`,
    );
  }
  return value;
}

export function portSetting(name: string): number {
  const raw = setting(name);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`demo service: ${name} must be a port 1–65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

export function startTelemetry(service: string): HopscopeHandle {
  return init({
    service,
    version: '0.1.0',
    environment: 'demo',
    endpoint: setting('HOPSCOPE_URL'),
    exportDelayMs: 100,
    prettyLogs: false,
    trackServicesEncountered: true,
  });
}

/**
 * Tells the topology this service accepts work, and arranges the stop: `close` runs first
 * (servers, connections), then the telemetry is flushed.
 */
export function serviceReady(telemetry: HopscopeHandle, close: () => Promise<void> | void): void {
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('service_stopping', { reason });
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    try {
      await close();
    } catch (error) {
      logger.warn('service_stop_failed', { error });
    }
    await telemetry.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('disconnect', () => void stop('parent_gone'));
  logger.info('service_ready', { pid: process.pid });
  process.send?.({ type: 'ready' });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
