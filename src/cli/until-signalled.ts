/** What `medpos terminal` and `medpos serve` share once listening: run until SIGINT or SIGTERM, then close. */
export function untilSignalled(command: string, running: { close(): Promise<void> }): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void running.close().then(resolve, (err: unknown) => {
        process.stderr.write(`medpos ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
