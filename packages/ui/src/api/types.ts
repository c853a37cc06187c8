// The query API's JSON shapes, owned by the server. Type-only: nothing of the server is bundled.
export type * from '../../../server/src/api/types.js';
