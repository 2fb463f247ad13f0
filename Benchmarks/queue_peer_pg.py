#!/usr/bin/env python3
"""The psycopg peer of QueueBenchmark's PostgreSQL rows: PostgresJobStore's queue statements, sent bare.

Run by QueueBenchmark (which parses the JSON that `run` prints, and uses `create` and `drop` for its own
databases), or by hand:

    .build/venv/bin/python Benchmarks/queue_peer_pg.py create --server URL --name qb_template
    .build/release/QueueBenchmark ...   # or anything that runs PostgresJobStore.connect on it: the migrations
    .build/venv/bin/python Benchmarks/queue_peer_pg.py run --server URL --template qb_template --jobs 5000 --claimers 4
    .build/venv/bin/python Benchmarks/queue_peer_pg.py drop --server URL --name qb_template

`run` copies the template (an empty database migrated by PostgresJobStore) into a fresh database, so the peer uses
exactly our schema and indexes, runs one scenario on it and drops it. Every operation is its own
`BEGIN … COMMIT` holding the statements the store sends for it (Sources/MediaJobsPostgres/PostgresJobStore+Queue.swift,
`insertEvent`/`insertEvents` and `notifyJobs` in PostgresJobStore*.swift), one connection per thread, psycopg's
defaults otherwise (it prepares a statement on the server after its 5th run; `--prepare-threshold none` never does).
Like the store, the peer holds a `LISTEN` on the jobs channel and reads every notification its enqueues send.
"""
import argparse
import json
import os
import resource
import sys
import threading
import time

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

JOB_COLUMNS = ("id, spec, state, attempts, max_attempts, priority, run_at, created_at, updated_at, finished_at, "
               "lease_owner, lease_expires_at, stage, error_code, error_message, provider_handle, poll_at, "
               "route_used_provider, route_used_model, route_used_cache_hit_of")

# PostgresJobStore.insert (a job without labels).
ENQUEUE = """INSERT INTO jobs (id, kind, state, spec, priority, run_at, attempts, max_attempts, idempotency_key,
                  created_at, updated_at)
VALUES (%s, %s, 'queued', %s, %s,
        %s, 0, %s, %s, %s, %s)
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id"""

# PostgresJobStore.insertEvent.
EVENT = """INSERT INTO job_events (job_id, id, at, kind, attempt, worker, detail)
VALUES (%s, (SELECT COALESCE(MAX(id), 0) + 1 FROM job_events WHERE job_id = %s),
        %s, %s, %s, %s, %s)"""

# PostgresJobStore.insertEvents, for more than one job.
EVENTS = """INSERT INTO job_events (job_id, id, at, kind, attempt, worker, detail)
SELECT c.job_id, (SELECT COALESCE(MAX(e.id), 0) + 1 FROM job_events e WHERE e.job_id = c.job_id),
       %s, %s, c.attempt, %s, c.detail
FROM unnest(%s::text[], %s::bigint[],
            %s::text[]) AS c (job_id, attempt, detail)"""

# PostgresJobStore.notifyJobs.
NOTIFY = "SELECT pg_notify(%s, %s)"
CHANNEL = "mediajobs_jobs"

# PostgresJobStore.claimQuery, scope .any.
CLAIM = """UPDATE jobs
SET state = 'running', attempts = attempts + CASE WHEN state = 'queued' THEN 1 ELSE 0 END,
    lease_owner = %s, lease_expires_at = %s, updated_at = %s, stage = NULL
WHERE id IN (
    SELECT id FROM jobs
    WHERE state IN ('queued', 'waiting') AND run_at <= %s
    ORDER BY priority DESC, run_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED)
RETURNING """ + JOB_COLUMNS

# PostgresJobStore.complete (no artifacts, no costs, no route).
COMPLETE = """UPDATE jobs
SET state = 'succeeded', finished_at = %s, updated_at = %s, lease_owner = NULL,
    lease_expires_at = NULL, stage = NULL, poll_at = NULL, error_code = NULL, error_message = NULL,
    route_used_provider = %s, route_used_model = %s,
    route_used_cache_hit_of = %s
WHERE id = %s AND state = 'running' AND lease_owner = %s
RETURNING """ + JOB_COLUMNS

# What JSONEncoder makes of QueueBenchmark's `spec(i)`.
SPEC = '{"kind":"tts","provider":"local","input":{"text":"job %d"},"output":{},"priority":0}'
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# The payload that names the notifying store (its listener's UUID).
LISTENER = "6F1C2D7E-5B0A-4C8E-9F3D-2A1B0C9D8E7F"


def now_us():
    return int(time.time() * 1_000_000)


def job_id():
    """26 characters like JobID.generate: milliseconds first, then 16 random ones."""
    millis = int(time.time() * 1000)
    head = "".join(ALPHABET[(millis >> shift) & 31] for shift in range(45, -1, -5))
    return head + "".join(ALPHABET[b & 31] for b in os.urandom(16))


def database_url(server, name):
    return make_conninfo(server, dbname=name)


class Peer:
    """One connection, autocommit, so BEGIN and COMMIT are sent explicitly, as the store sends them."""

    def __init__(self, url, prepare_threshold):
        self.conn = psycopg.connect(url, autocommit=True, prepare_threshold=prepare_threshold)
        self.cur = self.conn.cursor()

    def close(self):
        self.conn.close()

    def _insert(self, i, t):
        jid = job_id()
        cur = self.cur
        cur.execute(ENQUEUE, (jid, "tts", SPEC % i, 0, t, 3, None, t, t))
        if len(cur.fetchall()) != 1:
            raise SystemExit("job %s was not inserted" % jid)
        cur.execute(EVENT, (jid, jid, t, "submitted", 0, None, "tts via local"))

    def enqueue(self, i):
        t = now_us()
        cur = self.cur
        cur.execute("BEGIN")
        self._insert(i, t)
        cur.execute(NOTIFY, (CHANNEL, LISTENER))
        cur.execute("COMMIT")

    def enqueue_batch(self, first, end):
        t = now_us()
        cur = self.cur
        cur.execute("BEGIN")
        for i in range(first, end):
            self._insert(i, t)
        cur.execute(NOTIFY, (CHANNEL, LISTENER))
        cur.execute("COMMIT")

    def claim(self, worker, limit):
        t = now_us()
        cur = self.cur
        cur.execute("BEGIN")
        cur.execute(CLAIM, (worker, t + 60_000_000, t, t, limit))
        rows = cur.fetchall()
        if len(rows) == 1:
            row = rows[0]
            cur.execute(EVENT, (row[0], row[0], t, "claimed", row[3], worker, "attempt %d of %d" % (row[3], row[4])))
        elif rows:
            cur.execute(EVENTS, (t, "claimed", worker, [r[0] for r in rows], [r[3] for r in rows],
                                 ["attempt %d of %d" % (r[3], r[4]) for r in rows]))
        cur.execute("COMMIT")
        return rows

    def _complete(self, row, worker, t):
        cur = self.cur
        cur.execute(COMPLETE, (t, t, None, None, None, row[0], worker))
        done = cur.fetchall()
        if len(done) != 1:
            raise SystemExit("lost job %s" % row[0])
        cur.execute(EVENT, (row[0], row[0], t, "succeeded", done[0][3], worker, ""))

    def complete(self, rows, worker):
        t = now_us()
        cur = self.cur
        cur.execute("BEGIN")
        for row in rows:
            self._complete(row, worker, t)
        cur.execute("COMMIT")


def in_threads(peers, body):
    """Runs body(index, peer) on one thread per peer, all started together; returns their results."""
    results = [None] * len(peers)
    errors = []
    gate = threading.Barrier(len(peers))

    def run(index):
        try:
            gate.wait()
            results[index] = body(index, peers[index])
        except BaseException as error:  # noqa: BLE001 - reported after join
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(peers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def unbatched(peers, jobs):
    """QueueBenchmark's `postgresUnbatched`: N threads enqueue one job per transaction, then N claimers each loop
    claim 1 → complete it until the queue is empty."""
    tasks = len(peers)
    start = time.perf_counter()

    def enqueue(task, peer):
        for i in range(task, jobs, tasks):
            peer.enqueue(i)

    in_threads(peers, enqueue)
    enqueued = time.perf_counter()

    def claim(task, peer):
        worker = "w-%d" % task
        count = 0
        while True:
            rows = peer.claim(worker, 1)
            if not rows:
                return count
            peer.complete(rows, worker)
            count += 1

    claimed = sum(in_threads(peers, claim))
    end = time.perf_counter()
    return claimed, start, enqueued, end


def batched(peer, jobs, batch, claim_batch):
    start = time.perf_counter()
    for first in range(0, jobs, batch):
        peer.enqueue_batch(first, min(jobs, first + batch))
    enqueued = time.perf_counter()
    claimed = 0
    while True:
        rows = peer.claim("w", claim_batch)
        if not rows:
            break
        peer.complete(rows, "w")
        claimed += len(rows)
    end = time.perf_counter()
    return claimed, start, enqueued, end


class Listener:
    """The store's `LISTEN` on CHANNEL, which every PostgresJobStore holds while it is open: a connection of its own
    and a thread that reads each notification as it arrives, so the server delivers every NOTIFY to a listening
    backend for the peer as it does for the store."""

    def __init__(self, url):
        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        self.heard = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._listen)
        self.thread.start()

    def _listen(self):
        while not self.stopping.is_set():
            for _ in self.conn.notifies(timeout=0.2):
                self.heard += 1

    def close(self):
        self.stopping.set()
        self.thread.join()
        self.conn.close()


def cost():
    """This process's CPU seconds (all threads) and voluntary context switches so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_nvcsw


def admin(server):
    return psycopg.connect(server, autocommit=True)


def create(server, name, template=None):
    """Creates database `name` (from `template` when given) with synchronous_commit on for every session."""
    with admin(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        for attempt in range(50):
            try:
                conn.execute(statement)
                break
            except psycopg.errors.ObjectInUse:
                # The template's last session (a store that just shut down) has not ended yet.
                if attempt == 49:
                    raise
                time.sleep(0.1)
        conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = on").format(sql.Identifier(name)))


def drop(server, name):
    with admin(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run(args):
    name = "%s_peer_%d" % (args.template, os.getpid())
    create(args.server, name, args.template)
    try:
        url = database_url(args.server, name)
        threshold = None if args.prepare_threshold == "none" else int(args.prepare_threshold)
        claimers = 1 if args.scenario == "batched" else args.claimers
        listener = Listener(url)
        peers = [Peer(url, threshold) for _ in range(claimers)]
        try:
            settings = peers[0].conn.execute(
                "SELECT current_setting('server_version'), current_setting('fsync'), "
                "current_setting('synchronous_commit')").fetchone()
            before = cost()
            if args.scenario == "batched":
                claimed, start, enqueued, end = batched(peers[0], args.jobs, args.batch, args.claim_batch)
            else:
                claimed, start, enqueued, end = unbatched(peers, args.jobs)
            after = cost()
        finally:
            for peer in peers:
                peer.close()
            listener.close()
    finally:
        drop(args.server, name)
    if claimed != args.jobs:
        raise SystemExit("claimed %d of %d jobs" % (claimed, args.jobs))
    if listener.heard == 0:
        raise SystemExit("the listener heard none of the enqueues' notifications")
    print(json.dumps({
        "python": sys.version.split()[0],
        "psycopg": psycopg.__version__,
        "libpq": psycopg.pq.version(),
        "server": settings[0],
        "fsync": settings[1],
        "synchronous_commit": settings[2],
        "prepare_threshold": threshold,
        "claimers": claimers,
        "enqueue_per_s": args.jobs / (enqueued - start),
        "claim_complete_per_s": args.jobs / (end - enqueued),
        "cycles_per_s": args.jobs / (end - start),
        "cpu_micros_per_job": (after[0] - before[0]) * 1e6 / args.jobs,
        "switches_per_job": (after[1] - before[1]) / args.jobs,
        "notifications_heard": listener.heard,
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("create", "drop"):
        sub = commands.add_parser(command)
        sub.add_argument("--server", required=True, help="postgres://USER@HOST:PORT/DATABASE of the server")
        sub.add_argument("--name", required=True)
        if command == "create":
            sub.add_argument("--template")
    sub = commands.add_parser("run")
    sub.add_argument("--server", required=True)
    sub.add_argument("--template", required=True, help="an empty database migrated by PostgresJobStore")
    sub.add_argument("--scenario", choices=["unbatched", "batched"], default="unbatched")
    sub.add_argument("--jobs", type=int, default=5000)
    sub.add_argument("--claimers", type=int, default=1, help="threads, each with its own connection")
    sub.add_argument("--batch", type=int, default=500, help="enqueue batch size")
    sub.add_argument("--claim-batch", type=int, default=100)
    sub.add_argument("--prepare-threshold", default="5", help="psycopg's prepare_threshold, or none")
    args = parser.parse_args()
    if args.command == "create":
        create(args.server, args.name, args.template)
    elif args.command == "drop":
        drop(args.server, args.name)
    else:
        run(args)


if __name__ == "__main__":
    main()
