/** Builds the runner bundle at `outfile` (default dist/runner/pgd-runner.mjs); returns its path. */
export function buildRunner(options?: { outfile?: string }): Promise<string>
