/**
 * ingestion: seed 002's Loom path. A JetStream consumer of the conversation records baseline
 * publishes; each is processed in the producer's trace and request, and logs the
 * services_encountered chain it arrived with (this service appended).
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { getServicesEncountered, logger } from 'hopscope';
import { processMsg } from 'hopscope/nats';
import { serviceReady, setting, startTelemetry } from '../lib/service.js';

const telemetry = startTelemetry('ingestion');
const nc = await connect({ servers: setting('DEMO_NATS_URL'), name: 'ingestion' });
const jsm = await jetstreamManager(nc);
await jsm.streams.add({ name: 'LOOM', subjects: ['loom.>'] });
await jsm.consumers.add('LOOM', { durable_name: 'indexer', ack_policy: AckPolicy.Explicit });
const consumer = await jetstream(nc).consumers.get('LOOM', 'indexer');
const messages = await consumer.consume();

const loop = (async () => {
  for await (const msg of messages) {
    try {
      await processMsg(msg, async () => {
        const record = msg.json<{ path?: string; status?: string }>();
        logger.info('conversation_ingested', {
          path: record.path,
          conversation_status: record.status,
          services_encountered: getServicesEncountered().join(','),
        });
      });
    } catch (error) {
      logger.error('conversation_ingest_failed', { error });
    }
    msg.ack();
  }
})();

serviceReady(telemetry, async () => {
  await messages.close();
  await loop;
  await nc.drain();
});
