/**
 * Cache keys for sub-problems. A key holds everything the answer depends on: the revision and schema
 * hash (so a write or a schema change can never be answered from an older entry), the request kind,
 * resource type, relation, the sorted ids, the subject and the results setting. It does not hold
 * `depthRemaining`: answers carry `depthRequired` instead (see CachingDispatcher).
 */
import { formatSubjectRef } from '../core/refs.js';
import type { CheckRequest, DispatchMeta, LookupSubjectsRequest } from './dispatcher.js';

function sortedIds(ids: readonly string[]): string {
  return (ids.length === 1 ? ids : [...new Set(ids)].sort()).join(',');
}

function prefix(meta: DispatchMeta): string {
  return `${meta.revision}|${meta.schemaHash}`;
}

export function checkKey(req: CheckRequest): string {
  // With one id, `any` and `all` ask the same question.
  const results = req.resourceIds.length === 1 ? 'any' : req.results;
  return `${prefix(req.meta)}|c|${req.resourceType}#${req.relation}|${results}|${formatSubjectRef(req.subject)}|${sortedIds(req.resourceIds)}`;
}

export function lookupSubjectsKey(req: LookupSubjectsRequest): string {
  return `${prefix(req.meta)}|s|${req.resourceType}#${req.relation}|${req.subjectType}#${req.subjectRelation ?? '...'}|${sortedIds(req.resourceIds)}`;
}
