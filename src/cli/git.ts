// Placeholder until the git workflows land (issue 6).
export async function runImages(_argv: string[]): Promise<number> { console.error('images: not built yet'); return 2; }
export async function runBump(_argv: string[]): Promise<number> { console.error('bump: not built yet'); return 2; }
export async function runRevert(_argv: string[]): Promise<number> { console.error('revert: not built yet'); return 2; }
export async function runSync(_argv: string[]): Promise<number> { console.error('sync: not built yet'); return 2; }
