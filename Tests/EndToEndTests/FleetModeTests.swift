import Foundation
import MediaJobsCore
import MediaJobsStore
import Testing

@Suite("fleet mode: --database postgres://…, migrate and doctor", .serialized,
       .enabled(if: TestPostgres.enabled, TestPostgres.skipReason))
struct FleetModeTests {
    private func waitUntil(timeout: TimeInterval, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(500))
        }
        return false
    }

    /// Fills `cli`'s SQLite home the quick way, through the store: `finished` tts jobs that succeeded, each with an
    /// artifact (one real file in the home's artifact store), a label and a cost (every tenth unknown), one canceled
    /// job, a batch naming some of them, and `queued` jobs for the local provider still waiting for a worker.
    private func fill(_ cli: CLI, finished: Int, queued: Int) async throws {
        _ = try await cli.run(["list"])  // creates the home and the database
        let store = try SQLiteJobStore(path: cli.database.path)
        let artifacts = try ArtifactStore(root: cli.home.appendingPathComponent("artifacts"))
        let (sha256, bytes) = try artifacts.put(copying: CLI.sample("speech.mp3"))
        let now = Date().addingTimeInterval(-3600)
        let specs = (0..<finished).map { n in
            JobSpec(kind: .tts, model: "flite", input: JobInput(text: "Finished job number \(n)."),
                    output: OutputSettings(format: "mp3"), labels: ["project": n % 2 == 0 ? "even" : "odd"])
        }
        let enqueued = try await store.enqueue(specs, now: now)
        var done = 0
        while done < finished {
            let claimed = try await store.claim(worker: "filler", now: now, leaseExpiry: now.addingTimeInterval(600),
                                                limit: 200)
            #expect(!claimed.isEmpty)
            if claimed.isEmpty { break }
            let results = claimed.enumerated().map { offset, job in
                let n = done + offset
                let known = n % 10 != 0
                return (job.id, JobCompletion(
                    artifacts: [ArtifactRef(sha256: sha256, mime: "audio/mpeg", bytes: bytes, format: "mp3",
                                            durationSeconds: 1.5, codec: "mp3")],
                    costs: [CostRecord(
                        jobID: job.id, attempt: 1, provider: known ? "openai" : "openrouter",
                        model: known ? "gpt-4o-mini-tts" : "some-lab/brand-new-tts", units: ["characters": 24],
                        usd: known ? Money(Decimal(n) * Decimal(string: "0.000123456789")!) : nil,
                        source: known ? .estimated : .unknown,
                        lines: [PriceLine(unit: "characters", quantity: 24, usdPerUnit: nil)], charged: true, at: now)],
                    routeUsed: RouteUsed(provider: "local", model: "flite")))
            }
            try await store.complete(results, worker: "filler", now: now)
            done += claimed.count
        }
        let canceled = try await store.enqueue(JobSpec(kind: .tts, model: "flite", input: JobInput(text: "Never mind.")),
                                               now: now).job
        _ = try await store.cancel(canceled.id, now: now)
        try await store.saveBatch(
            BatchRecord(id: "batch-0001", kind: "tts", source: "/srv/texts", out: "/srv/speech", request: "{}",
                        createdAt: now, updatedAt: now),
            entries: enqueued.prefix(5).enumerated().map { index, result in
                BatchEntry(input: "/srv/texts/\(index).txt", output: "/srv/speech/\(index).mp3", jobID: result.job.id,
                           rejection: nil)
            })
        for n in 0..<queued {
            _ = try await store.enqueue(JobSpec(kind: .tts, model: "flite", input: JobInput(text: "Queued job \(n)."),
                                                output: OutputSettings(format: "mp3")), now: Date())
        }
    }

    @Test("migrate copies a home of 1,000 finished jobs: costs and list read the same; a second migrate is refused; a worker on PostgreSQL runs the queued jobs")
    func migrateHome() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        try await fill(cli, finished: 1_000, queued: 3)
        try await TestPostgres.withDatabase { url in
            let migrated = try await cli.run(["migrate", "--to", url, "--json"])
            #expect(migrated.status == 0, "stdout: \(migrated.stdout)\nstderr: \(migrated.stderr)")
            #expect(migrated.json["ok"] as? Bool == true, "\(migrated.stdout)")
            let tables = (migrated.json["tables"] as? [[String: Any]]) ?? []
            let rows = Dictionary(uniqueKeysWithValues: tables.compactMap { table in
                (table["name"] as? String).map { ($0, table["rows"] as? Int ?? -1) }
            })
            #expect(rows["jobs"] == 1_004 && rows["costs"] == 1_000 && rows["job_artifacts"] == 1_000
                    && rows["artifacts"] == 1 && rows["batches"] == 1 && rows["batch_entries"] == 5
                    && rows["job_labels"] == 1_000, "\(rows)")
            #expect((rows["job_events"] ?? 0) >= 3_000, "\(rows)")
            #expect(migrated.json["unknown_costs"] as? Int == 100)
            let failedChecks = ((migrated.json["checks"] as? [[String: Any]]) ?? []).filter { $0["ok"] as? Bool != true }
            #expect(failedChecks.isEmpty, "\(failedChecks)")

            for arguments in [["costs"], ["costs", "--by", "provider,label", "--label", "project"],
                              ["list", "--limit", "2000", "--json"], ["list", "--state", "queued"]] {
                let sqlite = try await cli.run(arguments)
                let postgres = try await cli.run(arguments + ["--database", url])
                #expect(sqlite.status == 0 && postgres.status == 0, "\(arguments): \(sqlite.stderr) \(postgres.stderr)")
                #expect(!sqlite.stdout.isEmpty)
                #expect(sqlite.stdout == postgres.stdout,
                        "\(arguments) differ:\n\(sqlite.stdout.prefix(2000))\n---\n\(postgres.stdout.prefix(2000))")
            }

            let countRows = "SELECT (SELECT COUNT(*) FROM jobs) || ' ' || (SELECT COUNT(*) FROM costs) || ' ' || "
                + "(SELECT COUNT(*) FROM job_events) || ' ' || (SELECT MAX(id) FROM costs)"
            let rowsBefore = try await TestPostgres.psql(url, countRows)
            let listBefore = try await cli.run(["list", "--limit", "2000", "--json", "--database", url])
            let again = try await cli.run(["migrate", "--to", url])
            #expect(again.status != 0)
            #expect(again.stderr.contains("already holds rows") && again.stderr.contains("nothing was written"),
                    "\(again.stderr)")
            let listAfter = try await cli.run(["list", "--limit", "2000", "--json", "--database", url])
            #expect(listAfter.stdout == listBefore.stdout)
            #expect(try await TestPostgres.psql(url, countRows) == rowsBefore)
            // The ledger's ids go on from the copied ones.
            let next = try await TestPostgres.psql(url, "SELECT nextval(pg_get_serial_sequence('costs', 'id'))")
            #expect(Int(next) ?? 0 > 1_000, "\(next)")

            let log = cli.home.appendingPathComponent("worker.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let worker = try cli.start(["worker", "--database", url, "--concurrency", "2"],
                                       stderr: try FileHandle(forWritingTo: log))
            var finished = false
            _ = try await waitUntil(timeout: 300) {
                guard worker.isRunning else { return true }  // it stopped: it will not finish them
                let pending = try await cli.run(["list", "--database", url, "--state", "queued", "--state", "running",
                                                 "--state", "waiting", "--json"])
                let left = (try? JSONSerialization.jsonObject(with: Data(pending.stdout.utf8))) as? [Any]
                finished = pending.status == 0 && left?.isEmpty == true
                return finished
            }
            worker.terminate()
            await worker.waitForExit()
            let workerLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(finished, "worker log:\n\(workerLog.suffix(4000))")
            let succeeded = try await cli.run(["list", "--database", url, "--state", "succeeded", "--limit", "2000",
                                               "--json"])
            let jobs = (try? JSONSerialization.jsonObject(with: Data(succeeded.stdout.utf8))) as? [[String: Any]] ?? []
            #expect(jobs.count == 1_003, "worker log:\n\(workerLog.suffix(4000))")
            #expect(!workerLog.contains("127.0.0.1") || !workerLog.contains("password"))
        }
    }

    @Test("submit, status, wait and get with --database; MEDIAJOBS_DATABASE_URL; doctor without the password")
    func databaseOption() async throws {
        var cli = try CLI()
        defer { cli.remove() }
        try await TestPostgres.withDatabase { url in
            let submitted = try await cli.run(["submit", "tts", "--text", "Hello from the fleet.", "--format", "mp3",
                                               "--database", url, "--json"])
            #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
            let id = try #require(submitted.json["id"] as? String)
            let status = try await cli.run(["status", id, "--database", url])
            #expect(status.status == 0 && status.stdout.contains(id), "\(status.stdout)\n\(status.stderr)")
            let local = try await cli.run(["list", "--json"])
            let localJobs = (try? JSONSerialization.jsonObject(with: Data(local.stdout.utf8))) as? [Any]
            #expect(localJobs?.isEmpty == true, "the job went into the home's SQLite file: \(local.stdout)")
            let waited = try await cli.run(["wait", id, "--database", url, "--json"])
            #expect(waited.status == 0 && waited.json["state"] as? String == "succeeded",
                    "\(waited.stdout)\n\(waited.stderr)")
            let copied = cli.home.appendingPathComponent("fleet.mp3")
            let got = try await cli.run(["get", id, "-o", copied.path, "--database", url])
            #expect(got.status == 0 && FileManager.default.fileExists(atPath: copied.path), "\(got.stderr)")

            cli.environment["MEDIAJOBS_DATABASE_URL"] = url
            let listed = try await cli.run(["list", "--json"])
            #expect(listed.status == 0 && listed.stdout.contains(id), "\(listed.stdout)\n\(listed.stderr)")
            let costs = try await cli.run(["costs"])
            #expect(costs.status == 0 && costs.stdout.contains("local"), "\(costs.stdout)\n\(costs.stderr)")
            cli.environment["MEDIAJOBS_DATABASE_URL"] = "mysql://root@127.0.0.1/jobs"
            let badVariable = try await cli.run(["list"])
            #expect(badVariable.status == 2 && badVariable.stderr.contains("MEDIAJOBS_DATABASE_URL"), "\(badVariable.stderr)")
            cli.environment.removeValue(forKey: "MEDIAJOBS_DATABASE_URL")
        }
    }

    @Test("doctor on a PostgreSQL database: its version, its migrations and its clock, and no password anywhere")
    func doctorPostgres() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        try await TestPostgres.withDatabase { url in
            _ = try await cli.run(["list"])  // an empty home
            let migrated = try await cli.run(["migrate", "--to", url])  // applies the schema, copies no rows
            #expect(migrated.status == 0 && migrated.stdout.contains("checks: ok"), "\(migrated.stdout)\n\(migrated.stderr)")
            let secret = "s3cret-Pa55word"
            let withPassword = try TestPostgres.withPassword(url, secret)
            let doctor = try await cli.run(["doctor", "--database", withPassword])
            let printed = doctor.stdout + doctor.stderr
            #expect(!printed.contains(secret), "\(printed)")
            let lines = doctor.stdout.split(separator: "\n").map(String.init)
            let database = lines.first { $0.contains(" database ") }
            #expect(database?.hasPrefix("ok") == true && database?.contains("PostgreSQL") == true
                    && database?.contains("0 job(s)") == true, "\(doctor.stdout)")
            #expect(lines.contains { $0.hasPrefix("ok") && $0.contains("database schema") && $0.contains("applied") },
                    "\(doctor.stdout)")
            #expect(lines.contains { $0.hasPrefix("ok") && $0.contains("database clock") }, "\(doctor.stdout)")
            let json = try await cli.run(["doctor", "--database", withPassword, "--json"])
            #expect(!json.stdout.contains(secret) && json.stdout.contains("database clock"), "\(json.stdout)")
        }
    }
}

@Suite("the --database option, without a server")
struct DatabaseOptionTests {
    @Test("a --database value that is no database this program opens is refused, naming the flag and the forms, without its password")
    func badValue() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        for bad in ["mysql://root:hunter2@127.0.0.1/jobs", "postgres://", "http://example.com/db"] {
            let refused = try await cli.run(["list", "--database", bad])
            #expect(refused.status == 2, "\(bad): \(refused.stderr)")
            #expect(refused.stderr.contains("--database"), "\(bad): \(refused.stderr)")
            #expect(!refused.stderr.contains("hunter2"), "\(refused.stderr)")
        }
        let refused = try await cli.run(["list", "--database", "mysql://root@127.0.0.1/jobs"])
        #expect(refused.stderr.contains("postgres://") && refused.stderr.contains("sqlite:"), "\(refused.stderr)")
        let local = cli.home.appendingPathComponent("elsewhere.sqlite")
        let sqlite = try await cli.run(["list", "--database", "sqlite:\(local.path)"])
        #expect(sqlite.status == 0 && FileManager.default.fileExists(atPath: local.path), "\(sqlite.stderr)")
    }

    @Test("doctor names an unreachable PostgreSQL database without its password, and fails")
    func doctorUnreachable() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let doctor = try await cli.run(["doctor", "--database", "postgres://fleet:Sup3rSecret@127.0.0.1:1/mediajobs"])
        #expect(doctor.status == 1, "\(doctor.stdout)\n\(doctor.stderr)")
        #expect(!(doctor.stdout + doctor.stderr).contains("Sup3rSecret"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("FAIL") && doctor.stdout.contains("postgres://fleet@127.0.0.1:1/mediajobs"),
                "\(doctor.stdout)")
    }
}
