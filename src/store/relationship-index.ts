/**
 * The in-memory MVCC relationship index the engine reads. Every edge carries the revision that created
 * it and the revision that deleted it (Infinity while live), so a snapshot at R sees exactly the edges
 * with created <= R < deleted, while writes keep landing at newer revisions.
 *
 * Layout, chosen for memory (~1.4M relationships within a few hundred MB) and for a hot path that
 * allocates nothing but its result array:
 * - Types and relations are interned; a (resource type, relation) pair is a "type-relation" (tr).
 * - A resource node is (tr, id); a subject node is one interned SubjectRef, shared by all its edges and
 *   handed out as-is by `subjects()`.
 * - Edges live in parallel typed arrays (struct of arrays, ~32 bytes each) and are threaded on two
 *   singly linked lists: a forward chain of their resource node and the reverse chain of a bucket
 *   (subject node, tr), which makes `resources(type, relation, subject)` a direct lookup.
 * - A resource node has two forward chains: edges to plain subjects and wildcards, and edges to
 *   usersets (`team:x#member`). Check asks "is this subject here?" (hasSubject) and "which usersets
 *   must I follow?" (usersetsAt); the second then never walks the (often long) list of plain members.
 * - A resource node with a long chain also gets a subject -> newest edge map, so touch/delete
 *   idempotence checks and `hasSubject` stay O(1) on wide groups.
 * Freed edges, nodes and buckets are recycled through free lists threaded through their own arrays.
 */
import { RevisionUnavailableError, bug } from '../core/errors.js';
import type { RelationshipFilter } from '../core/filter.js';
import type { Relationship, SubjectRef } from '../core/refs.js';
import { ELLIPSIS } from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import { REVISION_ZERO } from '../core/revision.js';
import type { ReadOptions, RevisionChanges } from './datastore.js';
import { IndexSnapshot } from './index-snapshot.js';
import { iterateOrdered } from './relationship-order.js';
import { growF64, growI32, grown } from './typed-arrays.js';

const NONE = -1;
/** Marks an edge slot dropped by garbage collection (while its chains are being relinked). */
const FREED = -1;
/** Chains longer than this get a subject -> edge map, so membership tests do not scan. */
const WIDE = 24;
const EMPTY: readonly never[] = Object.freeze([]);

export class RelationshipIndex {
  private headRev: Revision;
  private oldestRev: Revision;
  private live = 0;

  // Type-relations, by resource type then relation name.
  private readonly trByName = new Map<string, Map<string, number>>();
  private readonly trType: string[] = [];
  private readonly trRel: string[] = [];
  private readonly trNodes: Map<string, number>[] = [];

  // Resource nodes. rHead doubles as the free-list link of a freed node.
  private rTop = 0;
  private rFree = NONE;
  private rTr = new Int32Array(1024);
  private rHead = new Int32Array(1024);
  /** Head of the node's userset chain (rHead holds the rest). */
  private rHeadU = new Int32Array(1024);
  private readonly rId: string[] = [];
  private readonly rWide = new Map<number, Map<number, number>>();
  /** Sorted distinct resource ids per type, for ordered reads; dropped when a node of the type comes or goes. */
  private readonly sortedIds = new Map<string, string[]>();

  // Subject nodes, by type, then relation ('' for none), then id. sBucket doubles as the free-list link.
  private readonly subjByName = new Map<string, Map<string, Map<string, number>>>();
  private sTop = 0;
  private sFree = NONE;
  private sBucket = new Int32Array(1024);
  private readonly sRef: (SubjectRef | undefined)[] = [];

  // Reverse buckets: (subject node, tr) -> chain of edges; bNext links a subject's buckets (and free ones).
  private bTop = 0;
  private bFree = NONE;
  private bTr = new Int32Array(1024);
  private bHead = new Int32Array(1024);
  private bNext = new Int32Array(1024);

  // Edges. eNextF doubles as the free-list link of a freed edge.
  private eTop = 0;
  private eFree = NONE;
  private eCreated = new Float64Array(4096);
  private eDeleted = new Float64Array(4096);
  private eRes = new Int32Array(4096);
  private eSubj = new Int32Array(4096);
  private eNextF = new Int32Array(4096);
  private eNextR = new Int32Array(4096);

  // Check asks about one resource node (hasSubject, then usersets) and one subject (on every node it
  // visits) many times in a row: the last lookups of each are remembered, keyed by the very strings
  // and object asked with. Any change to the index forgets them (a node or subject may come or go).
  private memoType: string | undefined;
  private memoId: string | undefined;
  private memoRelation: string | undefined;
  private memoNode = NONE;
  private memoSubjects: (SubjectRef | undefined)[] = [undefined, undefined];
  private memoSubjectNodes: (number | undefined)[] = [undefined, undefined];
  private memoNext = 0;

  /** Deleted edges in deletion (= revision) order, so garbage collection never scans live edges. */
  private dead = new Int32Array(1024);
  private deadStart = 0;
  private deadEnd = 0;

  /** An empty index whose history starts at `startRevision` (reads below it are refused). */
  constructor(startRevision: Revision = REVISION_ZERO) {
    this.headRev = startRevision;
    this.oldestRev = startRevision;
  }

  /** The newest revision applied. */
  get head(): Revision {
    return this.headRev;
  }

  /** The oldest revision that snapshots can still read exactly. */
  get oldest(): Revision {
    return this.oldestRev;
  }

  /** Relationships live at the head. */
  get liveCount(): number {
    return this.live;
  }

  /**
   * Bulk-loads relationships live at revision `at` (e.g. read page by page from the store at start-up,
   * when its older history was garbage-collected): the index then reads from `at` on. Only before the
   * first `apply`, and `at` may move only while nothing is loaded, so no snapshot sees a partial state.
   */
  load(relationships: Iterable<Relationship>, at: Revision = this.headRev): number {
    if (this.headRev !== this.oldestRev) bug('RelationshipIndex.load after apply');
    if (at !== this.headRev) {
      if (this.eTop !== 0) bug(`RelationshipIndex.load at ${at} after loading at ${this.headRev}`);
      this.headRev = this.oldestRev = at;
    }
    this.forget();
    let added = 0;
    for (const r of relationships) if (this.touch(r, at)) added++;
    return added;
  }

  /**
   * Applies one committed revision. Revisions must arrive in increasing order (gaps are allowed). A touch
   * of a live relationship and a delete of a missing one are no-ops.
   */
  apply(changes: RevisionChanges): void {
    const rev = changes.revision;
    if (!(rev > this.headRev)) bug(`RelationshipIndex.apply(${rev}) out of order: head is ${this.headRev}`);
    this.forget();
    for (const c of changes.changes) {
      if (c.operation === 'touch') this.touch(c.relationship, rev);
      else this.remove(c.relationship, rev);
    }
    this.headRev = rev;
  }

  /** A view at `revision`; refuses revisions not applied yet or already garbage-collected. */
  snapshot(revision: Revision): IndexSnapshot {
    this.checkRevision(revision);
    return new IndexSnapshot(this, revision);
  }

  /** True when `relationship` is live at `revision` (the head by default). */
  contains(relationship: Relationship, revision: Revision = this.headRev): boolean {
    const s = relationship.subject;
    return this.hasSubjectAt(revision, relationship.resource.type, relationship.resource.id, relationship.relation, s);
  }

  /**
   * Drops edges deleted at or before `before`: afterwards snapshots at `before` or newer read exactly as
   * they did, and older ones are refused. Returns the number of edges dropped.
   */
  collectGarbage(before: Revision): number {
    const horizon = Math.min(before, this.headRev);
    this.forget();
    const eDeleted = this.eDeleted;
    const touchedRes = new Set<number>();
    const touchedBuckets = new Map<number, number>(); // bucket -> its subject
    let dropped = 0;
    while (this.deadStart < this.deadEnd) {
      const e = this.dead[this.deadStart]!;
      if (eDeleted[e]! > horizon) break;
      this.deadStart++;
      const r = this.eRes[e]!;
      const s = this.eSubj[e]!;
      touchedRes.add(r);
      touchedBuckets.set(this.findBucket(s, this.rTr[r]!), s);
      const wide = this.rWide.get(r);
      // Older versions of the same pair were deleted no later than this one, so they go too.
      if (wide && wide.get(s) === e) wide.delete(s);
      eDeleted[e] = FREED;
      dropped++;
    }
    if (this.deadStart === this.deadEnd) this.deadStart = this.deadEnd = 0;
    // Buckets first: relinking resources recycles the edge slots that the FREED marks live in.
    for (const [b, s] of touchedBuckets) this.relinkBucket(b, s);
    for (const r of touchedRes) this.relinkResource(r);
    if (horizon > this.oldestRev) this.oldestRev = horizon;
    return dropped;
  }

  /**
   * The relationships live at `revision` that match `filter`, in compareRelationships order, strictly
   * after `after`. Lazy, so a page costs about its own size (plus sorting one type's ids when they changed).
   */
  *iterate(revision: Revision, filter: RelationshipFilter, after?: Relationship): Generator<Relationship> {
    this.checkRevision(revision);
    yield* iterateOrdered(this, revision, filter, after);
  }

  /** One page of `iterate`. */
  read(revision: Revision, filter: RelationshipFilter, options: ReadOptions = {}): Relationship[] {
    const limit = options.limit ?? Infinity;
    const out: Relationship[] = [];
    if (limit <= 0) return out;
    for (const r of this.iterate(revision, filter, options.after)) {
      out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  count(revision: Revision, filter: RelationshipFilter): number {
    let n = 0;
    for (const _ of this.iterate(revision, filter)) n++;
    return n;
  }

  /** True when at least one relationship live at `revision` matches `filter`. */
  hasMatch(revision: Revision, filter: RelationshipFilter): boolean {
    return !this.iterate(revision, filter).next().done;
  }

  // ---- hot path (called through IndexSnapshot) ----

  subjectsAt(rev: Revision, type: string, id: string, relation: string): readonly SubjectRef[] {
    const r = this.node(type, id, relation);
    if (r === NONE) return EMPTY;
    const eCreated = this.eCreated;
    const eDeleted = this.eDeleted;
    const eSubj = this.eSubj;
    const eNextF = this.eNextF;
    const sRef = this.sRef;
    const out: SubjectRef[] = [];
    for (let e = this.rHead[r]!; e !== NONE; e = eNextF[e]!) {
      if (eCreated[e]! <= rev && rev < eDeleted[e]!) out.push(sRef[eSubj[e]!]!);
    }
    for (let e = this.rHeadU[r]!; e !== NONE; e = eNextF[e]!) {
      if (eCreated[e]! <= rev && rev < eDeleted[e]!) out.push(sRef[eSubj[e]!]!);
    }
    return out;
  }

  /** The userset subjects (`type:id#relation`) of `type:id#relation` at `rev`: what a check follows. */
  usersetsAt(rev: Revision, type: string, id: string, relation: string): readonly SubjectRef[] {
    const r = this.node(type, id, relation);
    if (r === NONE) return EMPTY;
    let e = this.rHeadU[r]!;
    if (e === NONE) return EMPTY;
    const eCreated = this.eCreated;
    const eDeleted = this.eDeleted;
    const eSubj = this.eSubj;
    const eNextF = this.eNextF;
    const sRef = this.sRef;
    const out: SubjectRef[] = [];
    for (; e !== NONE; e = eNextF[e]!) {
      if (eCreated[e]! <= rev && rev < eDeleted[e]!) out.push(sRef[eSubj[e]!]!);
    }
    return out;
  }

  resourcesAt(rev: Revision, type: string, relation: string, subject: SubjectRef): readonly string[] {
    const tr = this.trByName.get(type)?.get(relation);
    if (tr === undefined) return EMPTY;
    const s = this.lookupSubject(subject.type, subject.id, subject.relation);
    if (s === undefined) return EMPTY;
    const bTr = this.bTr;
    const bNext = this.bNext;
    for (let b = this.sBucket[s]!; b !== NONE; b = bNext[b]!) {
      if (bTr[b] !== tr) continue;
      const eCreated = this.eCreated;
      const eDeleted = this.eDeleted;
      const eRes = this.eRes;
      const eNextR = this.eNextR;
      const rId = this.rId;
      const out: string[] = [];
      for (let e = this.bHead[b]!; e !== NONE; e = eNextR[e]!) {
        if (eCreated[e]! <= rev && rev < eDeleted[e]!) out.push(rId[eRes[e]!]!);
      }
      return out;
    }
    return EMPTY;
  }

  hasSubjectAt(rev: Revision, type: string, id: string, relation: string, subject: SubjectRef): boolean {
    const s = this.subjectNode(subject);
    if (s === undefined) return false;
    const r = this.node(type, id, relation);
    if (r === NONE) return false;
    const wide = this.rWide.get(r);
    if (wide) {
      const e = wide.get(s);
      if (e === undefined) return false;
      // The newest version decides unless it was created after `rev`; then an older one might be visible.
      if (this.eCreated[e]! <= rev) return rev < this.eDeleted[e]!;
    }
    return this.findEdge(r, s, rev) !== NONE;
  }

  /** The resource node `type:id#relation`, or NONE; remembers the last one asked for. */
  private node(type: string, id: string, relation: string): number {
    if (id === this.memoId && relation === this.memoRelation && type === this.memoType) return this.memoNode;
    const tr = this.trByName.get(type)?.get(relation);
    const r = tr === undefined ? undefined : this.trNodes[tr]!.get(id);
    this.memoType = type;
    this.memoId = id;
    this.memoRelation = relation;
    return (this.memoNode = r ?? NONE);
  }

  /** The subject node of `subject`, remembering the last two objects asked for (a subject and its wildcard). */
  private subjectNode(subject: SubjectRef): number | undefined {
    const memo = this.memoSubjects;
    if (memo[0] === subject) return this.memoSubjectNodes[0];
    if (memo[1] === subject) return this.memoSubjectNodes[1];
    const s = this.lookupSubject(subject.type, subject.id, subject.relation);
    const i = this.memoNext;
    memo[i] = subject;
    this.memoSubjectNodes[i] = s;
    this.memoNext = 1 - i;
    return s;
  }

  private forget(): void {
    this.memoType = this.memoId = this.memoRelation = undefined;
    this.memoNode = NONE;
    this.memoSubjects[0] = this.memoSubjects[1] = undefined;
    this.memoSubjectNodes[0] = this.memoSubjectNodes[1] = undefined;
  }

  // ---- writes ----

  private touch(rel: Relationship, rev: Revision): boolean {
    const tr = this.internTr(rel.resource.type, rel.relation);
    const r = this.internResource(tr, rel.resource.id);
    const s = this.internSubject(rel.subject);
    const wide = this.rWide.get(r);
    let len = 0;
    if (wide) {
      const newest = wide.get(s);
      if (newest !== undefined && this.eDeleted[newest] === Infinity) return false;
    } else {
      // Narrow node: one scan both finds a live edge and measures the chain.
      const eDeleted = this.eDeleted;
      const eSubj = this.eSubj;
      const eNextF = this.eNextF;
      for (let x = this.chainHead(r, s); x !== NONE; x = eNextF[x]!, len++) {
        if (eSubj[x] === s && eDeleted[x] === Infinity) return false;
      }
    }
    const e = this.allocEdge();
    this.eCreated[e] = rev;
    this.eDeleted[e] = Infinity;
    this.eRes[e] = r;
    this.eSubj[e] = s;
    if (this.isUserset(s)) {
      this.eNextF[e] = this.rHeadU[r]!;
      this.rHeadU[r] = e;
    } else {
      this.eNextF[e] = this.rHead[r]!;
      this.rHead[r] = e;
    }
    const b = this.internBucket(s, tr);
    this.eNextR[e] = this.bHead[b]!;
    this.bHead[b] = e;
    if (wide) wide.set(s, e);
    else if (len + 1 > WIDE) this.widen(r);
    this.live++;
    return true;
  }

  private remove(rel: Relationship, rev: Revision): boolean {
    const tr = this.trByName.get(rel.resource.type)?.get(rel.relation);
    if (tr === undefined) return false;
    const r = this.trNodes[tr]!.get(rel.resource.id);
    if (r === undefined) return false;
    const s = this.lookupSubject(rel.subject.type, rel.subject.id, rel.subject.relation);
    if (s === undefined) return false;
    const e = this.findLive(r, s);
    if (e === NONE) return false;
    this.eDeleted[e] = rev;
    if (this.deadEnd === this.dead.length) {
      // Compact the consumed prefix before growing.
      const pending = this.dead.subarray(this.deadStart, this.deadEnd);
      const next = pending.length * 2 >= this.dead.length ? new Int32Array(this.dead.length * 2) : this.dead;
      next.set(pending);
      this.dead = next;
      this.deadEnd -= this.deadStart;
      this.deadStart = 0;
    }
    this.dead[this.deadEnd++] = e;
    this.live--;
    return true;
  }

  private findLive(r: number, s: number): number {
    const wide = this.rWide.get(r);
    if (wide) {
      const e = wide.get(s);
      return e !== undefined && this.eDeleted[e] === Infinity ? e : NONE;
    }
    return this.findEdge(r, s, Infinity);
  }

  /** The edge r -> s visible at `rev` (Infinity: the live one), scanning the chain. */
  private findEdge(r: number, s: number, rev: Revision): number {
    const eCreated = this.eCreated;
    const eDeleted = this.eDeleted;
    const eSubj = this.eSubj;
    const eNextF = this.eNextF;
    for (let e = this.chainHead(r, s); e !== NONE; e = eNextF[e]!) {
      if (eSubj[e] === s && (rev === Infinity ? eDeleted[e] === Infinity : eCreated[e]! <= rev && rev < eDeleted[e]!)) {
        return e;
      }
    }
    return NONE;
  }

  private widen(r: number): void {
    const wide = new Map<number, number>();
    // The chains run newest first, so the first edge seen for a subject is its newest version.
    for (const head of [this.rHead[r]!, this.rHeadU[r]!]) {
      for (let e = head; e !== NONE; e = this.eNextF[e]!) {
        const s = this.eSubj[e]!;
        if (!wide.has(s)) wide.set(s, e);
      }
    }
    this.rWide.set(r, wide);
  }

  /** The forward chain of `r` that edges to subject node `s` live on. */
  private chainHead(r: number, s: number): number {
    return this.isUserset(s) ? this.rHeadU[r]! : this.rHead[r]!;
  }

  private isUserset(s: number): boolean {
    return this.sRef[s]!.relation !== undefined;
  }

  // ---- interning ----

  private internTr(type: string, relation: string): number {
    let byRel = this.trByName.get(type);
    if (!byRel) {
      byRel = new Map();
      this.trByName.set(type, byRel);
    }
    let tr = byRel.get(relation);
    if (tr === undefined) {
      tr = this.trType.length;
      this.trType.push(type);
      this.trRel.push(relation);
      this.trNodes.push(new Map());
      byRel.set(relation, tr);
    }
    return tr;
  }

  private internResource(tr: number, id: string): number {
    const nodes = this.trNodes[tr]!;
    let r = nodes.get(id);
    if (r !== undefined) return r;
    if (this.rFree !== NONE) {
      r = this.rFree;
      this.rFree = this.rHead[r]!;
    } else {
      r = this.rTop++;
      if (r === this.rTr.length) {
        const n = grown(r);
        this.rTr = growI32(this.rTr, n);
        this.rHead = growI32(this.rHead, n);
        this.rHeadU = growI32(this.rHeadU, n);
      }
    }
    this.rTr[r] = tr;
    this.rHead[r] = NONE;
    this.rHeadU[r] = NONE;
    this.rId[r] = id;
    nodes.set(id, r);
    this.sortedIds.delete(this.trType[tr]!);
    return r;
  }

  private lookupSubject(type: string, id: string, relation: string | undefined): number | undefined {
    const rel = relation === undefined || relation === ELLIPSIS ? '' : relation;
    return this.subjByName.get(type)?.get(rel)?.get(id);
  }

  private internSubject(subject: SubjectRef): number {
    const rel = subject.relation === undefined || subject.relation === ELLIPSIS ? '' : subject.relation;
    let byRel = this.subjByName.get(subject.type);
    if (!byRel) {
      byRel = new Map();
      this.subjByName.set(subject.type, byRel);
    }
    let byId = byRel.get(rel);
    if (!byId) {
      byId = new Map();
      byRel.set(rel, byId);
    }
    let s = byId.get(subject.id);
    if (s !== undefined) return s;
    if (this.sFree !== NONE) {
      s = this.sFree;
      this.sFree = this.sBucket[s]!;
    } else {
      s = this.sTop++;
      if (s === this.sBucket.length) this.sBucket = growI32(this.sBucket, grown(s));
    }
    this.sBucket[s] = NONE;
    // Own, frozen copy: handed to every caller of subjects(), and must not pin the caller's object graph.
    this.sRef[s] = Object.freeze(
      rel === '' ? { type: subject.type, id: subject.id } : { type: subject.type, id: subject.id, relation: rel },
    );
    byId.set(subject.id, s);
    return s;
  }

  private findBucket(s: number, tr: number): number {
    for (let b = this.sBucket[s]!; b !== NONE; b = this.bNext[b]!) if (this.bTr[b] === tr) return b;
    return bug(`RelationshipIndex: no reverse bucket for subject ${s}, type-relation ${tr}`);
  }

  private internBucket(s: number, tr: number): number {
    for (let b = this.sBucket[s]!; b !== NONE; b = this.bNext[b]!) if (this.bTr[b] === tr) return b;
    let b: number;
    if (this.bFree !== NONE) {
      b = this.bFree;
      this.bFree = this.bNext[b]!;
    } else {
      b = this.bTop++;
      if (b === this.bTr.length) {
        const n = grown(b);
        this.bTr = growI32(this.bTr, n);
        this.bHead = growI32(this.bHead, n);
        this.bNext = growI32(this.bNext, n);
      }
    }
    this.bTr[b] = tr;
    this.bHead[b] = NONE;
    this.bNext[b] = this.sBucket[s]!;
    this.sBucket[s] = b;
    return b;
  }

  private allocEdge(): number {
    if (this.eFree !== NONE) {
      const e = this.eFree;
      this.eFree = this.eNextF[e]!;
      return e;
    }
    const e = this.eTop++;
    if (e === this.eCreated.length) {
      const n = grown(e);
      this.eCreated = growF64(this.eCreated, n);
      this.eDeleted = growF64(this.eDeleted, n);
      this.eRes = growI32(this.eRes, n);
      this.eSubj = growI32(this.eSubj, n);
      this.eNextF = growI32(this.eNextF, n);
      this.eNextR = growI32(this.eNextR, n);
    }
    return e;
  }

  // ---- garbage collection ----

  /** Unlinks freed edges from a bucket's chain; frees the bucket (and its subject) when empty. */
  private relinkBucket(b: number, s: number): void {
    const eDeleted = this.eDeleted;
    const eNextR = this.eNextR;
    let prev = NONE;
    for (let e = this.bHead[b]!; e !== NONE; e = eNextR[e]!) {
      if (eDeleted[e] === FREED) continue;
      if (prev === NONE) this.bHead[b] = e;
      else eNextR[prev] = e;
      prev = e;
    }
    if (prev !== NONE) {
      eNextR[prev] = NONE;
      return;
    }
    this.bHead[b] = NONE;
    let before = NONE;
    for (let x = this.sBucket[s]!; x !== NONE; x = this.bNext[x]!) {
      if (x === b) {
        if (before === NONE) this.sBucket[s] = this.bNext[x]!;
        else this.bNext[before] = this.bNext[x]!;
        break;
      }
      before = x;
    }
    this.bNext[b] = this.bFree;
    this.bFree = b;
    if (this.sBucket[s] === NONE) this.freeSubject(s);
  }

  private freeSubject(s: number): void {
    const ref = this.sRef[s]!;
    const byRel = this.subjByName.get(ref.type);
    const rel = ref.relation ?? '';
    const byId = byRel?.get(rel);
    byId?.delete(ref.id);
    if (byId && byId.size === 0) byRel!.delete(rel);
    if (byRel && byRel.size === 0) this.subjByName.delete(ref.type);
    this.sRef[s] = undefined;
    this.sBucket[s] = this.sFree;
    this.sFree = s;
  }

  /** Unlinks freed edges from a resource node's chains, frees them, and frees the node when empty. */
  private relinkResource(r: number): void {
    const plain = this.relinkChain(this.rHead[r]!);
    const usersets = this.relinkChain(this.rHeadU[r]!);
    this.rHead[r] = plain.head;
    this.rHeadU[r] = usersets.head;
    const len = plain.len + usersets.len;
    if (len > 0) {
      if (len <= WIDE / 2) this.rWide.delete(r);
      return;
    }
    this.rWide.delete(r);
    const tr = this.rTr[r]!;
    this.trNodes[tr]!.delete(this.rId[r]!);
    this.sortedIds.delete(this.trType[tr]!);
    this.rId[r] = '';
    this.rHead[r] = this.rFree;
    this.rFree = r;
  }

  /** Drops the FREED edges of one forward chain onto the free list; returns the new head and length. */
  private relinkChain(first: number): { head: number; len: number } {
    const eDeleted = this.eDeleted;
    const eNextF = this.eNextF;
    let head = NONE;
    let prev = NONE;
    let len = 0;
    let e = first;
    while (e !== NONE) {
      const next = eNextF[e]!;
      if (eDeleted[e] === FREED) {
        eNextF[e] = this.eFree;
        this.eFree = e;
        eDeleted[e] = 0;
      } else {
        if (prev === NONE) head = e;
        else eNextF[prev] = e;
        prev = e;
        len++;
      }
      e = next;
    }
    if (prev !== NONE) eNextF[prev] = NONE;
    return { head, len };
  }

  // ---- structure, for ordered reads (relationship-order.ts) ----

  /** Resource types with edges still held (live or history), unsorted. */
  resourceTypes(): IterableIterator<string> {
    return this.trByName.keys();
  }

  /** Relations of `type` with edges still held, unsorted. */
  relationsOf(type: string): IterableIterator<string> {
    return this.trByName.get(type)?.keys() ?? EMPTY.values();
  }

  /** The subject relations ('' for none) under which `type:id` is a subject of some held edge. */
  subjectRelationsOf(type: string, id: string): string[] {
    const out: string[] = [];
    const byRel = this.subjByName.get(type);
    if (byRel) for (const [rel, byId] of byRel) if (byId.has(id)) out.push(rel);
    return out;
  }

  /** The (resource type, relation) pairs under which `subject` has held edges. */
  edgeKindsOf(subject: SubjectRef): [type: string, relation: string][] {
    const s = this.lookupSubject(subject.type, subject.id, subject.relation);
    const out: [string, string][] = [];
    if (s === undefined) return out;
    for (let b = this.sBucket[s]!; b !== NONE; b = this.bNext[b]!) out.push([this.trType[this.bTr[b]!]!, this.trRel[this.bTr[b]!]!]);
    return out;
  }

  /** Distinct ids of `type` with held edges, sorted; cached until a node of the type comes or goes. */
  sortedResourceIds(type: string): readonly string[] {
    return this.sortedIdsOf(type);
  }

  private sortedIdsOf(type: string): string[] {
    let ids = this.sortedIds.get(type);
    if (ids) return ids;
    const byRel = this.trByName.get(type);
    if (!byRel) return [];
    if (byRel.size === 1) {
      ids = [...this.trNodes[byRel.values().next().value!]!.keys()];
    } else {
      const set = new Set<string>();
      for (const tr of byRel.values()) for (const id of this.trNodes[tr]!.keys()) set.add(id);
      ids = [...set];
    }
    ids.sort();
    this.sortedIds.set(type, ids);
    return ids;
  }

  private checkRevision(revision: Revision): void {
    if (revision > this.headRev) {
      throw new RevisionUnavailableError(`revision ${revision} is newer than the index head ${this.headRev}`);
    }
    if (revision < this.oldestRev) {
      throw new RevisionUnavailableError(
        `revision ${revision} is older than the oldest readable revision ${this.oldestRev} (garbage-collected)`,
      );
    }
  }
}
