import { aiAttrSql } from './ai-attrs.js';

/**
 * SQL for one top-level span attribute's value as text (json_extract_string's rendering: strings
 * unquoted, numbers and booleans as written), NULL when the span lacks it. `key` is SQL for
 * the key's name (a parameter). Schema v7 keeps attributes as two arrays: find the key's
 * position among `attr_keys`, then take that element of `attr_values`, unless its value is kept
 * only in an ai_* column (ai-attrs.ts).
 */
export function spanAttrSql(key: string): string {
  return (
    `coalesce(${aiAttrSql(key)}, json_extract_string(attr_values, '$[' || ` +
    `(list_position(json_extract_string(attr_keys, '$[*]'), ${key}) - 1) || ']'))`
  );
}
