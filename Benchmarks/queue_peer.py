#!/usr/bin/env python3
"""Reference numbers for Benchmarks/QueueBenchmark: what SQLite itself allows, and what huey does.

Run by QueueBenchmark (which parses the JSON it prints), or by hand:

    python3 Benchmarks/queue_peer.py --db /tmp/empty-migrated.sqlite --jobs 20000 --synchronous NORMAL

`--db` must be an empty database created by MediaJobs' migrations; it is copied for each run so
the limit uses exactly our schema and indexes. Single-threaded, WAL, the same `synchronous`.
"""
import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time

SPEC = '{"kind":"tts","provider":"local","input":{"text":"job %d"},"output":{},"priority":0}'
COLUMNS = ("id, spec, state, attempts, max_attempts, priority, run_at, created_at, updated_at, finished_at, "
           "lease_owner, lease_expires_at, stage, error_code, error_message, provider_handle, poll_at")

ENQUEUE = ("INSERT INTO jobs (id, kind, state, spec, priority, run_at, attempts, max_attempts, idempotency_key, "
           "created_at, updated_at) VALUES (?, 'tts', 'queued', ?, 0, ?, 0, 3, NULL, ?, ?) "
           "ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING")
CLAIM_TEMPLATE = ("UPDATE jobs SET state = 'running', attempts = attempts + (state = 'queued'), lease_owner = ?1, "
                  "lease_expires_at = ?2, updated_at = ?3, stage = NULL "
                  "WHERE %s (SELECT rowid FROM jobs WHERE state IN ('queued', 'waiting') AND run_at <= ?4 "
                  "ORDER BY priority DESC, run_at LIMIT %s) RETURNING " + COLUMNS)
# The same two statements as SQLiteJobStore.claimSQL and claimBatchSQL.
CLAIM = CLAIM_TEMPLATE % ("rowid =", "1")
CLAIM_BATCH = CLAIM_TEMPLATE % ("rowid IN", "?5")
COMPLETE = ("UPDATE jobs SET state = 'succeeded', finished_at = ?1, updated_at = ?1, lease_owner = NULL, "
            "lease_expires_at = NULL, stage = NULL, poll_at = NULL, error_code = NULL, error_message = NULL "
            "WHERE id = ?2 AND state = 'running' AND lease_owner = ?3 RETURNING " + COLUMNS)
# The same statement as SQLiteSchema.insertEventSQL (ids count per job).
EVENT = ("INSERT INTO job_events (job_id, id, at, kind, attempt, worker, detail) "
         "VALUES (?1, (SELECT COALESCE(MAX(id), 0) + 1 FROM job_events WHERE job_id = ?1), ?2, ?3, ?4, ?5, ?6)")


def connect(path, synchronous):
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = %s" % synchronous)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def job_id(i):
    # Sortable like our ids: time first. Only uniqueness and order matter here.
    return "%010d%016d" % (int(time.time() * 1000) % 10**10, i)


def now_us():
    return int(time.time() * 1_000_000)


def limit_run(template, folder, jobs, synchronous, events, batch=None, claim_batch=None):
    """Enqueue `jobs`, then claim and complete each, every statement group its own IMMEDIATE transaction."""
    path = os.path.join(folder, "limit-%s-%s.sqlite" % ("events" if events else "bare", batch or 1))
    shutil.copyfile(template, path)
    conn = connect(path, synchronous)
    cur = conn.cursor()
    t = now_us()
    start = time.perf_counter()
    if batch:
        for first in range(0, jobs, batch):
            cur.execute("BEGIN IMMEDIATE")
            for i in range(first, min(jobs, first + batch)):
                jid = job_id(i)
                cur.execute(ENQUEUE, (jid, SPEC % i, t, t, t))
                if events:
                    cur.execute(EVENT, (jid, t, "submitted", 0, None, "tts via local"))
            cur.execute("COMMIT")
    else:
        for i in range(jobs):
            jid = job_id(i)
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(ENQUEUE, (jid, SPEC % i, t, t, t))
            if events:
                cur.execute(EVENT, (jid, t, "submitted", 0, None, "tts via local"))
            cur.execute("COMMIT")
    enqueued = time.perf_counter()
    done = 0
    while True:
        cur.execute("BEGIN IMMEDIATE")
        if claim_batch:
            rows = cur.execute(CLAIM_BATCH, ("w", t + 60_000_000, t, t, claim_batch)).fetchall()
        else:
            rows = cur.execute(CLAIM, ("w", t + 60_000_000, t, t)).fetchall()
        if events:
            for row in rows:
                cur.execute(EVENT, (row[0], t, "claimed", row[3], "w", "attempt 1 of 3"))
        cur.execute("COMMIT")
        if not rows:
            break
        if claim_batch:
            cur.execute("BEGIN IMMEDIATE")
        for row in rows:
            if not claim_batch:
                cur.execute("BEGIN IMMEDIATE")
            finished = cur.execute(COMPLETE, (t, row[0], "w")).fetchall()
            if len(finished) != 1:
                raise SystemExit("lost job %s" % row[0])
            if events:
                cur.execute(EVENT, (row[0], t, "succeeded", 1, "w", ""))
            if not claim_batch:
                cur.execute("COMMIT")
        if claim_batch:
            cur.execute("COMMIT")
        done += len(rows)
    end = time.perf_counter()
    conn.close()
    if done != jobs:
        raise SystemExit("claimed %d of %d jobs" % (done, jobs))
    return {
        "enqueue_per_s": jobs / (enqueued - start),
        "claim_complete_per_s": jobs / (end - enqueued),
        "cycles_per_s": jobs / (end - start),
    }


def huey_run(folder, jobs, synchronous):
    try:
        from huey.storage import SqliteStorage
    except ImportError:
        return None
    storage = SqliteStorage(name="bench", filename=os.path.join(folder, "huey.sqlite"))
    storage.conn.execute("PRAGMA synchronous = %s" % synchronous)
    payload = b"x" * 80
    start = time.perf_counter()
    for _ in range(jobs):
        storage.enqueue(payload)
    enqueued = time.perf_counter()
    got = 0
    while storage.dequeue() is not None:
        got += 1
    end = time.perf_counter()
    if got != jobs:
        raise SystemExit("huey dequeued %d of %d" % (got, jobs))
    return {
        "enqueue_per_s": jobs / (enqueued - start),
        "dequeue_per_s": jobs / (end - enqueued),
        "cycles_per_s": jobs / (end - start),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an empty database made by MediaJobs' migrations")
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--batch", type=int, default=500, help="enqueue batch size")
    parser.add_argument("--claim-batch", type=int, default=100)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="queue-peer-")
    try:
        result = {
            "python": sys.version.split()[0],
            "sqlite": sqlite3.sqlite_version,
            "limit_bare": limit_run(args.db, folder, args.jobs, args.synchronous, events=False),
            "limit_with_events": limit_run(args.db, folder, args.jobs, args.synchronous, events=True),
            "limit_batched": limit_run(args.db, folder, args.jobs, args.synchronous, events=False, batch=args.batch,
                                       claim_batch=args.claim_batch),
            "huey": huey_run(folder, args.jobs, args.synchronous),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
