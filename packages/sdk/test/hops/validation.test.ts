import type { IncomingMessage } from 'node:http';
import type { Channel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { consume, sendToQueue } from '../../src/messaging/amqp/index.js';
import { send } from '../../src/messaging/kafka/index.js';
import { publish, subscribe } from '../../src/messaging/nats/index.js';
import { traceConnection } from '../../src/ws/index.js';

// Entry points answer misuse with a precise message before touching the client library.
describe('input validation', () => {
  const nc = {} as Parameters<typeof publish>[0];
  it('nats', () => {
    expect(() => publish(nc, '', 'x')).toThrow(
      /publish\(nc, subject, data\) needs the subject as a non-empty string, got an empty string/,
    );
    expect(() => subscribe(nc, 'a', 5 as never)).toThrow(/needs a handler function/);
  });
  it('amqp', () => {
    const ch = {} as Channel;
    expect(() => sendToQueue(ch, undefined as never, 'x')).toThrow(
      /routing key or queue as a non-empty string, got undefined/,
    );
    expect(() => consume(ch, 'q', null as never)).toThrow(/needs a handler function/);
  });
  it('kafka', () => {
    expect(() => send({ send: async () => [] }, { topic: 7 as never, messages: [] })).toThrow(
      /record.topic as a non-empty string, got number/,
    );
  });
  it('ws', () => {
    expect(() => traceConnection({} as WebSocket, {} as IncomingMessage)).toThrow(
      /needs the ws WebSocket/,
    );
    expect(() =>
      traceConnection({ on() {} } as unknown as WebSocket, undefined as unknown as IncomingMessage),
    ).toThrow(/needs the upgrade request/);
  });
});
