// The Deployment of ../shared/k8s-defaults.md §4+5 (containers `app` with port 80 and env MODE, `side` with
// env A): the documented fieldsV1 examples are computed from it, so the tests that reproduce them share it.
import type { KubeObject } from '../../src/core/model';

export function exampleDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'prod' }] },
            { name: 'side', image: 'busybox:1.36', env: [{ name: 'A', value: '1' }] },
          ],
        },
      },
    },
  };
}
