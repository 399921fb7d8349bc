// Types of gitManifests.mjs (plain JS so that the in-host run modules can import it without tsx).
export declare const MANIFESTS: Record<string, string>;
export declare function argoApplication(name: string, remote: string, path: string): string;
