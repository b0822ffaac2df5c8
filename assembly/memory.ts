/** First byte the host may use for its arena: everything below belongs to the module's static data. */
export function heap_base(): usize {
  return __heap_base;
}
