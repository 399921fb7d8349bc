// Loads dist/engine.cjs (the Engine, client-node, agents) on first use. It is a separate bundle so that
// activating the extension parses none of it: extension.cjs stays small and activation fast.
import path from 'node:path';
import type { HeavyModule } from './engineTypes';

let cached: HeavyModule | undefined;

export function loadHeavy(): HeavyModule {
  if (!cached) {
    const file = path.join(__dirname, 'engine.cjs');
    // A plain runtime require of a sibling file: esbuild leaves it alone, so nothing heavy is bundled here.
    cached = require(file) as HeavyModule;
  }
  return cached;
}

export function heavyLoaded(): boolean {
  return cached !== undefined;
}
