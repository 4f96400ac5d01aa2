/**
 * A gate that holds every caller until `count` have arrived, then lets all through: placed between two mounts
 * of a limiter, it makes requests overlap for certain (each passes the first mount before any reaches the second).
 */
export function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    if (++arrived >= count) open();
    return opened;
  };
}
