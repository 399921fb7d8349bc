// Kubernetes semantics for the sandbox API server and the reconcile engine: one import point.
export * from './schema';
export * from './quantity';
export * from './patch';
export * from './defaults';
export {
  conflictMessage, emptyObjectFor, LAST_APPLIED, lastAppliedValue, ownerOf, ownersOf, recordUpdate, serverSideApply,
  toFieldSet, compareObjects, mergeTyped,
  type Owner, type RecordUpdateOptions, type ServerSideApplyOptions, type SsaConflict, type Comparison,
} from './managedFields';
export { decodeFieldsV1, encodeFieldsV1, FieldSet, pathToString, pointerToFieldPath } from './fieldpath';
export * from './validation';
