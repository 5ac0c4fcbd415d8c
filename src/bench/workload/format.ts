/**
 * The workload directory format shared with ../shared/workload (README.md there): field names are
 * snake_case and must stay exactly as they are, so that either generator's output replays anywhere.
 *   schema.zed          the schema
 *   relationships.txt   one relationship a line
 *   queries.jsonl       one CheckQuery a line
 *   lookups.json        LookupsFile
 *   meta.json           sizes, seed, counts, sha256 of relationships.txt
 */

export interface CheckQuery {
  resource_type: string;
  resource_id: string;
  permission: string;
  subject_type: string;
  subject_id: string;
  expected: boolean;
}

/** LookupResources(resource_type, permission, subject_type:subject_id). */
export interface LookupResourcesCase {
  resource_type: string;
  permission: string;
  subject_type: string;
  subject_id: string;
  expected_count: number;
}

/** LookupSubjects(resource_type:resource_id, permission, subject_type). */
export interface LookupSubjectsCase {
  resource_type: string;
  resource_id: string;
  permission: string;
  subject_type: string;
  expected_count: number;
}

export interface LookupsFile {
  lookup_resources: LookupResourcesCase[];
  lookup_subjects: LookupSubjectsCase[];
}

export const WORKLOAD_FILES = {
  schema: 'schema.zed',
  relationships: 'relationships.txt',
  queries: 'queries.jsonl',
  lookups: 'lookups.json',
  meta: 'meta.json',
} as const;
