/**
 * Workload sizes. Users, teams, channels and contacts match the shared yardstick's table
 * (../shared/workload/README.md) so that figures at a size name are comparable; workspaces and fields
 * per workspace are Warden's own choice, picked so that a workspace looks alike at every size.
 */

export type SizeName = 'tiny' | 'small' | 'medium' | 'large';

export interface SizeParams {
  readonly users: number;
  readonly teams: number;
  readonly channels: number;
  readonly contacts: number;
  readonly workspaces: number;
  readonly fieldsPerWorkspace: number;
  /** Check queries in queries.jsonl. */
  readonly queries: number;
  /** Users for LookupResources and channels for LookupSubjects, each. */
  readonly lookups: number;
}

export const SIZES: Readonly<Record<SizeName, SizeParams>> = {
  tiny: { users: 60, teams: 9, channels: 12, contacts: 120, workspaces: 2, fieldsPerWorkspace: 6, queries: 2_000, lookups: 50 },
  small: { users: 1_000, teams: 50, channels: 200, contacts: 10_000, workspaces: 5, fieldsPerWorkspace: 12, queries: 20_000, lookups: 200 },
  medium: { users: 10_000, teams: 200, channels: 1_000, contacts: 100_000, workspaces: 20, fieldsPerWorkspace: 16, queries: 20_000, lookups: 200 },
  large: { users: 50_000, teams: 1_000, channels: 5_000, contacts: 500_000, workspaces: 50, fieldsPerWorkspace: 20, queries: 20_000, lookups: 200 },
};

export const SIZE_NAMES = Object.keys(SIZES) as SizeName[];

export function isSizeName(s: string): s is SizeName {
  return Object.hasOwn(SIZES, s);
}

/** The check-query mix: what the composer and the inbox ask most. Weights sum to 1. */
export interface QueryKind {
  readonly resource: 'channel' | 'contact' | 'contact_field';
  readonly permission: string;
  readonly weight: number;
}

export const QUERY_MIX: readonly QueryKind[] = [
  { resource: 'channel', permission: 'send', weight: 0.75 },
  { resource: 'channel', permission: 'view', weight: 0.05 },
  { resource: 'contact', permission: 'view', weight: 0.05 },
  { resource: 'contact', permission: 'reply', weight: 0.05 },
  { resource: 'contact_field', permission: 'view', weight: 0.07 },
  { resource: 'contact_field', permission: 'edit', weight: 0.03 },
];
