// The benchmark fleet: 20 apps x 100 objects of plain YAML, one object per file (40% Deployments, 40%
// Services, 20% ConfigMaps), shaped like everyday manifests (resources with 0.5 / 500m-style quantities,
// int targetPorts, env lists). Shared by the engine, compare and manifests benchmarks.
import fs from 'node:fs';
import path from 'node:path';

export function deployment(app: number, i: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-${i}
  namespace: fleet-${app}
  labels:
    app: svc-${i}
    team: team-${app % 5}
spec:
  replicas: ${1 + (i % 3)}
  selector:
    matchLabels:
      app: svc-${i}
  template:
    metadata:
      labels:
        app: svc-${i}
    spec:
      containers:
        - name: app
          image: registry.example/fleet/svc-${i}:1.${app}.${i}
          ports:
            - containerPort: 8080
          env:
            - name: APP
              value: "${app}"
            - name: INDEX
              value: "${i}"
          resources:
            limits:
              cpu: 0.5
              memory: 256Mi
            requests:
              cpu: 100m
              memory: 128Mi
`;
}

export function service(app: number, i: number): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: svc-${i}
  namespace: fleet-${app}
spec:
  selector:
    app: svc-${i}
  ports:
    - name: http
      port: 80
      targetPort: 8080
`;
}

export function configMap(app: number, i: number): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-${i}
  namespace: fleet-${app}
data:
  LOG_LEVEL: info
  FEATURE_${i}: "on"
`;
}

/** 20 apps x 100 objects: per app 40 Deployments, 40 Services, 20 ConfigMaps, one file per object. */
export function generateFleet(root: string, apps = 20, perApp = 100): void {
  for (let a = 0; a < apps; a++) {
    const dir = path.join(root, `app-${String(a).padStart(2, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    const deployments = Math.round(perApp * 0.4);
    const services = Math.round(perApp * 0.4);
    const configs = perApp - deployments - services;
    for (let i = 0; i < deployments; i++) fs.writeFileSync(path.join(dir, `deploy-${i}.yaml`), deployment(a, i));
    for (let i = 0; i < services; i++) fs.writeFileSync(path.join(dir, `svc-${i}.yaml`), service(a, i));
    for (let i = 0; i < configs; i++) fs.writeFileSync(path.join(dir, `cfg-${i}.yaml`), configMap(a, i));
  }
}

