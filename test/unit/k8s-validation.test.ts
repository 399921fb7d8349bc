import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/core/model';
import { applyDefaults } from '../../src/core/k8s/defaults';
import { portNameErrors, validateObject } from '../../src/core/k8s/validation';

const msgs = (o: KubeObject) => validateObject(o).map((e) => `${e.field}: ${e.message}`);

test('int-or-string rules of k8s-defaults.md §3', () => {
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' },
    spec: { ports: [{ port: 80, targetPort: '8080' }, { port: 81, targetPort: 'http' }, { port: 82, targetPort: 8080 }, { port: 0 }] } };
  applyDefaults(svc);
  assert.deepEqual(msgs(svc), [
    'spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)',
    'spec.ports[3].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[3].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(portNameErrors('http'), []);
  assert.deepEqual(portNameErrors('a-very-long-port-name'), ['must be no more than 15 characters']);
  assert.deepEqual(portNameErrors('-x--'), ['must not contain consecutive hyphens', 'must not begin or end with a hyphen']);

  const dep = (ru: object): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: { replicas: -1, selector: {}, strategy: { type: 'RollingUpdate', rollingUpdate: ru },
      template: { spec: { containers: [{ name: 'c', image: 'i', livenessProbe: { httpGet: { port: 'HTTP' } }, resources: { limits: { cpu: 'lots' } } },
        { name: 'c', image: 'j', readinessProbe: { tcpSocket: { port: 8080 } } }] } } } });
  assert.deepEqual(msgs(dep({ maxSurge: '1', maxUnavailable: 0 })), [
    'spec.template.spec.containers[0].livenessProbe.httpGet.port: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'spec.template.spec.containers[0].livenessProbe.httpGet.port: Invalid value: "HTTP": must contain at least one letter (a-z)',
    'spec.template.spec.containers[1].name: Duplicate value: "c"',
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"1\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    "spec.template.spec.containers[0].resources.limits[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  ]);
  assert.ok(msgs(dep({ maxSurge: 0, maxUnavailable: '0%' })).includes('spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'));
});

test('Job templates need restartPolicy OnFailure or Never; valid objects have no errors', () => {
  const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  assert.deepEqual(msgs(job), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  applyDefaults(job); // defaulting sets Always, which a Job refuses
  assert.deepEqual(msgs(job), ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
  const ok: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: {},
    template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, name: 'http' }], resources: { requests: { cpu: 0.5 } } }] } } } };
  applyDefaults(ok);
  assert.deepEqual(msgs(ok), []);
});
