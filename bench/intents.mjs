// The everyday intents the benchmarks search for (one list, shared by the server-scale and federation runs).
export const BENCH_INTENTS = [
  'describe a screenshot',
  'transcribe a podcast episode',
  'translate a contract into German',
  'find toxic comments',
  'generate a logo',
  'read a scanned receipt',
  'summarise a long report',
  'embed documents for semantic search',
];
