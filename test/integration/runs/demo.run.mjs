// "GitOps: Start Sandbox Demo" from an empty workspace: the extension runs the sandbox itself.
export const tests = ['gitops/demo.test.ts'];
export const timeoutMs = 300_000;

export async function setup() {
  return { env: { GITOPS_TEST_NO_PROMPTS: '1' }, settings: { 'gitops.agent': 'auto' } };
}
