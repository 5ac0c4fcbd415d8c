import { SchemaNotFoundError } from '../core/errors.js';
import type { ServiceDeps } from './deps.js';
import type { CallOptions, ReadSchemaRequest, ReadSchemaResponse } from './types.js';

export async function readSchema(deps: ServiceDeps, req: ReadSchemaRequest, call?: CallOptions): Promise<ReadSchemaResponse> {
  const read = await deps.consistency.resolve(req.consistency, call);
  if (!read.schema) throw new SchemaNotFoundError();
  return { schema: read.schema.text, zookie: deps.consistency.zookie(read.revision, read.schema) };
}
