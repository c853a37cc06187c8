import { describe, expect, it } from 'vitest';
import { splitAttributes } from '../../src/store/duckdb/span-chunks.js';

describe('splitAttributes', () => {
  it('gives every key list its own JSON, however lists share their beginnings', () => {
    const lists = [['a', 'b'], ['a'], ['a', 'b', 'c'], ['b', 'a'], ['a', 'b'], ['"q"', 'é']];
    for (let round = 0; round < 2; round++) {
      for (const keys of lists) {
        const attributes = Object.fromEntries(keys.map((k, i) => [k, i]));
        const { keys: json, values } = splitAttributes(attributes, undefined);
        expect(JSON.parse(json!)).toEqual(keys);
        expect(JSON.parse(values!)).toEqual(keys.map((_, i) => i));
      }
    }
  });

  it('leaves request.id out when the request_id column holds it, and says where it was', () => {
    const split = splitAttributes({ 'http.route': '/x', 'request.id': 'req_1', n: 3 }, 'req_1');
    expect(split).toEqual({ keys: '["http.route","n"]', values: '["/x",3]', at: 1, aiBits: 0 });
    expect(splitAttributes({}, undefined)).toEqual({
      keys: undefined,
      values: undefined,
      at: undefined,
      aiBits: 0,
    });
  });
});
