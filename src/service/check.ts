import { engineContext, engineFor, type ServiceDeps } from './deps.js';
import { objectField, relationField, subjectField } from './input.js';
import type { CallOptions, CheckRequest, CheckResponse } from './types.js';

export async function check(deps: ServiceDeps, req: CheckRequest, call?: CallOptions): Promise<CheckResponse> {
  const resource = objectField(req.resource, 'resource');
  const permission = relationField(req.permission, 'permission');
  const subject = subjectField(req.subject, 'subject');
  const read = deps.consistency.nowWithSchema(req.consistency) ?? (await deps.consistency.resolveWithSchema(req.consistency, call));
  const allowed = engineFor(deps, read).check(engineContext(deps, read.revision, read.schema, call), resource, permission, subject);
  return { allowed, zookie: deps.consistency.zookie(read.revision, read.schema) };
}
