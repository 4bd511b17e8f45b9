// Bounded parallelism, shared by the engine (layer downloads and uploads) and the client side (swarm deploys).

/**
 * Runs `work` over `items`, at most `limit` at a time. After the first failure no further item is started; the
 * ones under way finish, then that first failure is thrown (so nothing is still running when it is).
 */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !failure) {
        try {
          await work(items[next++]!);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
}
