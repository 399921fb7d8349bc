// Placeholder until the reconcile engine lands (issue 4).
export async function runApps(_argv: string[]): Promise<number> { console.error('apps: not built yet'); return 2; }
export async function runDiff(_argv: string[]): Promise<number> { console.error('diff: not built yet'); return 2; }
