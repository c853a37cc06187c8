import type { Attributes } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { hostAttributes } from './semconv.js';

const parse = (host: string | undefined, defaultPort = 80): Attributes => {
  const into: Attributes = {};
  hostAttributes(host, defaultPort, into);
  return into;
};

describe('hostAttributes', () => {
  it('reads address and port of each Host, however they alternate', () => {
    // the same hosts again and in turn: each answer is that host's, not the previous one's
    for (let round = 0; round < 2; round++) {
      expect(parse('api.example.com:8443')).toEqual({
        'server.address': 'api.example.com',
        'server.port': 8443,
      });
      expect(parse('api.example.com:8443', 443)).toEqual({
        'server.address': 'api.example.com',
        'server.port': 8443,
      });
      expect(parse('api.example.com')).toEqual({
        'server.address': 'api.example.com',
        'server.port': 80,
      });
      expect(parse('api.example.com', 443)).toEqual({
        'server.address': 'api.example.com',
        'server.port': 443,
      });
      expect(parse('[::1]:3000')).toEqual({ 'server.address': '[::1]', 'server.port': 3000 });
      expect(parse('bad host\r\n')).toEqual({});
      expect(parse('bad host\r\n')).toEqual({});
      expect(parse(undefined)).toEqual({});
      expect(parse('x'.repeat(256))).toEqual({});
      expect(parse('127.0.0.1:3000')).toEqual({
        'server.address': '127.0.0.1',
        'server.port': 3000,
      });
    }
  });
});
