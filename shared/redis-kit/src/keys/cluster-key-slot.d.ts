// cluster-key-slot ships no types (and there is no @types package); this is the part redis-kit calls.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot of a key (its hash tag when it has one), from a string or its bytes. */
  function calculateSlot(key: string | Uint8Array): number;
  export = calculateSlot;
}
