// An Argo CD ApplicationSet in the workspace (git directories generator over apps/*): the extension shows
// the Applications it generates as apps, drift shows in their files, and a folder added under apps/ becomes
// an app without a refresh.
import fs from 'node:fs';
import path from 'node:path';
import { API_DEPLOYMENT, syncedWorkspace, WEB_DEPLOYMENT } from './gitopsFixture.mjs';

export const tests = ['gitops/appset.test.ts'];
export const sandbox = { args: ['--no-agent'] };
export const timeoutMs = 240_000;

export const APPSET = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: services
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - git:
        repoURL: https://git.example.invalid/platform.git
        revision: HEAD
        directories:
          - path: apps/*
  template:
    metadata:
      name: '{{.path.basename}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.invalid/platform.git
        targetRevision: HEAD
        path: '{{.path.path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{.path.basename}}'
`;

export async function setup(ctx) {
  fs.mkdirSync(path.join(ctx.workspace, 'argocd'), { recursive: true });
  // Committed with the rest, not applied: the cluster has the generated objects, not the ApplicationSet.
  fs.writeFileSync(path.join(ctx.workspace, 'argocd', 'services.yaml'), APPSET);
  syncedWorkspace(ctx, { 'apps/web/deployment.yaml': WEB_DEPLOYMENT, 'apps/api/deployment.yaml': API_DEPLOYMENT }, ['web', 'api']);
  return { settings: { 'gitops.agent': 'none' } };
}
