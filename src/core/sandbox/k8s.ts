// The Kubernetes semantics the sandbox server uses, all from src/core/k8s (one import point).
export { applyDefaults } from '../k8s/defaults';
export { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../k8s/patch';
export { conflictMessage, recordUpdate, serverSideApply } from '../k8s/managedFields';
