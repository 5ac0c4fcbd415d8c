/**
 * Translation between decoded protobuf messages (see proto.ts for their shape) and the service's
 * wire-form requests and responses. Only what differs is translated: the oneof consistency, enums, and
 * proto3's "empty means absent". Everything else the service validates itself, so its messages are the
 * ones clients see.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type {
  CheckBulkItemResult,
  Consistency,
  ExpandTree,
  FilterInput,
  LookedUpSubject,
  PreconditionInput,
  WatchEvent,
  WriteRelationshipsRequest,
} from '../../service/types.js';

/**
 * A decoded message. Field names come from the .proto files and are deliberately not restated as a
 * TypeScript type: the loader is the one source, and the round-trip tests catch a misspelt field.
 */
export type Message = { readonly [field: string]: unknown };

function isMessage(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string field, or undefined when empty (proto3 cannot tell "" from unset). */
export function optString(m: Message, field: string): string | undefined {
  const v = m[field];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A required string field, passed on as is so the service's "`x` is required" names it. */
export function reqString(m: Message, field: string): string {
  const v = m[field];
  return typeof v === 'string' ? v : '';
}

/** A number field, or undefined when zero (proto3's unset). */
export function optNumber(m: Message, field: string): number | undefined {
  const v = m[field];
  return typeof v === 'number' && v !== 0 ? v : undefined;
}

export function messages(m: Message, field: string): Message[] {
  const v = m[field];
  return Array.isArray(v) ? v.filter(isMessage) : [];
}

export function strings(m: Message, field: string): string[] {
  const v = m[field];
  return Array.isArray(v) ? v.map(String) : [];
}

export function decodeConsistency(v: unknown): Consistency | undefined {
  if (!isMessage(v)) return undefined;
  switch (v.requirement) {
    case 'minimizeLatency':
      if (v.minimizeLatency !== true) throw new InvalidArgumentError('consistency.minimize_latency must be true when set');
      return { minimizeLatency: true };
    case 'fullyConsistent':
      if (v.fullyConsistent !== true) throw new InvalidArgumentError('consistency.fully_consistent must be true when set');
      return { fullyConsistent: true };
    case 'atLeastAsFresh':
      return { atLeastAsFresh: String(v.atLeastAsFresh ?? '') };
    case 'atExactSnapshot':
      return { atExactSnapshot: String(v.atExactSnapshot ?? '') };
    default:
      return undefined;
  }
}

export function decodeFilter(v: unknown): FilterInput {
  if (!isMessage(v)) return {};
  const f: FilterInput = {};
  for (const field of ['resourceType', 'resourceId', 'resourceIdPrefix', 'relation', 'subject'] as const) {
    const s = optString(v, field);
    if (s !== undefined) f[field] = s;
  }
  return f;
}

const PRECONDITION_OPS: Record<string, PreconditionInput['operation']> = {
  OPERATION_MUST_MATCH: 'must_match',
  OPERATION_MUST_NOT_MATCH: 'must_not_match',
};

export function decodePreconditions(m: Message): PreconditionInput[] {
  return messages(m, 'preconditions').map((p, i) => {
    const operation = PRECONDITION_OPS[String(p.operation)];
    if (!operation) throw new InvalidArgumentError(`preconditions[${i}].operation must be OPERATION_MUST_MATCH or OPERATION_MUST_NOT_MATCH`);
    return { operation, filter: decodeFilter(p.filter) };
  });
}

type UpdateOp = WriteRelationshipsRequest['updates'][number]['operation'];
const UPDATE_OPS: Record<string, UpdateOp> = {
  OPERATION_TOUCH: 'touch',
  OPERATION_CREATE: 'create',
  OPERATION_DELETE: 'delete',
};

export function decodeUpdates(m: Message): WriteRelationshipsRequest['updates'] {
  return messages(m, 'updates').map((u, i) => {
    const operation = UPDATE_OPS[String(u.operation)];
    if (!operation) throw new InvalidArgumentError(`updates[${i}].operation must be OPERATION_TOUCH, OPERATION_CREATE or OPERATION_DELETE`);
    return { operation, relationship: reqString(u, 'relationship') };
  });
}

export function encodeCheckBulkResult(r: CheckBulkItemResult): Message {
  // An answered item already has the message's shape: sent as it is, not copied.
  return r.error ? { allowed: false, error: r.error } : r;
}

const TREE_KINDS: Record<ExpandTree['kind'], string> = {
  union: 'KIND_UNION',
  intersection: 'KIND_INTERSECTION',
  exclusion: 'KIND_EXCLUSION',
  leaf: 'KIND_LEAF',
};

export function encodeTree(t: ExpandTree): Message {
  return {
    kind: TREE_KINDS[t.kind],
    object: t.object,
    subjects: t.subjects ?? [],
    children: (t.children ?? []).map(encodeTree),
    truncated: t.truncated === true,
  };
}

export function encodeLookedUpSubject(s: LookedUpSubject): Message {
  return { subjectId: s.id, excludedSubjectIds: s.excluded ?? [] };
}

const CHANGE_OPS = { touch: 'OPERATION_TOUCH', delete: 'OPERATION_DELETE' } as const;

export function encodeWatchEvent(e: WatchEvent): Message {
  if (e.type === 'heartbeat') return { zookie: e.zookie, heartbeat: true };
  return {
    zookie: e.zookie,
    changes: e.changes.map((c) => ({ operation: CHANGE_OPS[c.operation], relationship: c.relationship })),
    schemaChanged: e.schemaChanged === true,
  };
}
