// uvu runs `before` hooks inside try/finally with a `return` in the finally: a hook that throws is
// reported as a green "(0 / N)" and its error is lost. Hooks wrapped here print the error first.
export function loud(name: string, hook: () => unknown): () => Promise<void> {
  return async () => {
    try {
      await hook();
    } catch (err) {
      console.error(`\n  before hook of ${name} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      throw err;
    }
  };
}
