import type { Db } from './connection.js';

/**
 * Write transactions that arrive in the same event-loop turn share one commit.
 *
 * A commit costs far more than the few rows a landing writes (WAL append, and every thousand pages
 * a checkpoint), so under load the landings that finished verifying in one turn are written in one
 * BEGIN IMMEDIATE ... COMMIT. Each keeps its own all-or-nothing: it runs inside a savepoint, so one
 * that throws (a replayed jti, a constraint) is rolled back alone and gets its own error, while the
 * others commit. Each sees the writes of those before it in the group, so two landings with the same
 * jti in one group still spend it once: the second is refused as a replay.
 *
 * The promise settles after the commit (a redirect never promises a row that is not on disk). If the
 * commit itself fails, every member of the group gets that error. A group holds at most MAX_GROUP
 * writes so the write lock and the event loop are held briefly; the rest go in the next turn.
 */
const MAX_GROUP = 64;

interface Pending {
  work: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const queues = new WeakMap<Db, Pending[]>();

export function groupedWrite<T>(db: Db, work: () => T): Promise<T> {
  let queue = queues.get(db);
  if (!queue) {
    queue = [];
    queues.set(db, queue);
  }
  if (queue.length === 0) setImmediate(() => flush(db));
  return new Promise<T>((resolve, reject) => queue.push({ work, resolve: resolve as (value: unknown) => void, reject }));
}

function flush(db: Db): void {
  const queue = queues.get(db);
  if (!queue || queue.length === 0) return;
  const group = queue.splice(0, MAX_GROUP);
  if (queue.length > 0) setImmediate(() => flush(db));
  if (group.length === 1) {
    // Alone in its turn (a quiet server): a plain transaction, no savepoint needed.
    const item = group[0]!;
    try {
      item.resolve(db.transaction(item.work).immediate());
    } catch (error) {
      item.reject(error);
    }
    return;
  }
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  try {
    db.transaction(() => {
      for (const item of group) {
        try {
          // Inside a transaction, better-sqlite3 runs a nested transaction as a SAVEPOINT.
          outcomes.push({ ok: true, value: db.transaction(item.work)() });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    }).immediate();
  } catch (error) {
    for (const item of group) item.reject(error);
    return;
  }
  group.forEach((item, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) item.resolve(outcome.value);
    else item.reject(outcome.error);
  });
}
