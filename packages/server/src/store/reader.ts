/**
 * Read side of a store: the questions the query layer asks. Every store answers them with the
 * same results; the query layer assembles hops, Jaeger shapes and stats on top.
 * Owned by the query work; grows with the API.
 */
export type StoreReader = {};
