// Placeholder until the sandbox lands (issue 3).
export async function runSandbox(_argv: string[]): Promise<number> { console.error('sandbox: not built yet'); return 2; }
