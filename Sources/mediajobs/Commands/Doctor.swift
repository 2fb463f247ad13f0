import ArgumentParser
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsPostgres
import MediaJobsProviders
import MediaJobsStore

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the home folder, the artifact folder, the database, FFmpeg and the local speech models, and say how to fix what is missing.")

    @OptionGroup var global: GlobalOptions

    struct Check: Encodable {
        var name: String
        var ok: Bool
        var detail: String
        var fix: String?
        /// Set on a check that passed with a reservation (a clock a few seconds off): shown as `warn`.
        var warning: Bool?
    }

    /// The clock skew (seconds, either way) above which doctor warns, and above which it fails.
    static let skewWarning: TimeInterval = 2
    static let skewFailure: TimeInterval = 30

    func run() async throws {
        var checks: [Check] = []
        var home = MediaJobsHome.resolve(explicit: global.home, environment: ProcessInfo.processInfo.environment)
        var artifactsChosen = true
        do {
            home = try global.resolveHome()
        } catch {
            artifactsChosen = false
            checks.append(Check(name: "artifacts", ok: false, detail: "\(error)",
                                fix: "fix --artifacts, MEDIAJOBS_ARTIFACTS or storage.artifacts_dir in config.json"))
        }
        do {
            try home.prepareFolder()
            let probe = home.url.appendingPathComponent(".doctor-\(UUID().uuidString)")
            try Data("ok".utf8).write(to: probe)
            try FileManager.default.removeItem(at: probe)
            checks.append(Check(name: "home", ok: true, detail: "\(home.url.path) is writable"))
        } catch {
            checks.append(Check(name: "home", ok: false, detail: "\(home.url.path): \(error)",
                                fix: "choose a writable folder with --home or MEDIAJOBS_HOME"))
        }
        if artifactsChosen { checks.append(contentsOf: Doctor.artifactChecks(home: home)) }
        let database: DatabaseChoice?
        do {
            database = try global.databaseChoice(home: home)
        } catch {
            database = nil
            checks.append(Check(name: "database", ok: false, detail: "\(error)",
                                fix: "use \(DatabaseChoice.forms)"))
        }
        switch database?.location {
        case .sqlite(let path):
            do {
                let store = try SQLiteJobStore(path: path)
                let counts = try await store.countsByState()
                let total = counts.values.reduce(0, +)
                checks.append(Check(name: "database", ok: true, detail: "\(path): \(total) job(s)"))
            } catch {
                checks.append(Check(name: "database", ok: false, detail: "\(path): \(error)",
                                    fix: "move the damaged file aside; a new one is created on the next command"))
            }
        case .postgres(let url):
            checks.append(contentsOf: await Doctor.postgresChecks(url: url, source: database?.source ?? "--database"))
        case nil:
            break
        }
        let media = MediaEngine.capabilities()
        let libraries = media.versions.keys.sorted().filter { $0 != "ffmpeg" }
            .map { "\($0) \(media.versions[$0] ?? "?")" }.joined(separator: ", ")
        checks.append(Check(name: "ffmpeg libraries", ok: true,
                            detail: "FFmpeg \(media.versions["ffmpeg"] ?? "?"): \(libraries)"))
        for name in media.checks.keys.sorted() {
            let ok = media.checks[name] ?? false
            checks.append(Check(name: name, ok: ok, detail: ok ? "present" : "missing", fix: ok ? nil : Doctor.fix(for: name)))
        }
        // A PostgreSQL database is read for pauses only when its schema is whole: opening its store would migrate it.
        var pauses: [ProviderAccountPause] = []
        if let database, !database.isPostgres
            || checks.contains(where: { $0.name == "database schema" && $0.ok && $0.warning == nil }) {
            pauses = (try? await Providers.pauses(database: database)) ?? []
        }
        checks.append(contentsOf: Doctor.providerChecks(home: home, pauses: pauses))
        if global.json {
            try Terminal.writeJSON(checks)
        } else {
            for check in checks {
                let mark = !check.ok ? "FAIL" : check.warning == true ? "warn" : "ok  "
                Terminal.write("\(mark)  \(JobText.pad(check.name, 22)) \(check.detail)")
                if let fix = check.fix { Terminal.write("      fix: \(fix)") }
            }
        }
        if checks.contains(where: { !$0.ok }) { throw JobEndedBadly() }
    }

    /// The artifact folder: that this process can store a file there (write, fsync, rename in `tmp/`), and that
    /// `tmp/` and `sha256/` (and `answers/`) are on one file system, so storing a file is one atomic rename.
    static func artifactChecks(home: MediaJobsHome) -> [Check] {
        let folder = home.artifactsURL.path
        let chosen = home.artifactsSource == "default" ? "" : " (from \(home.artifactsSource))"
        let store: ArtifactStore
        do {
            store = try ArtifactStore(root: home.artifactsURL)
            try store.checkWritable()
        } catch {
            return [Check(name: "artifacts", ok: false, detail: "\(error)",
                          fix: "make \(folder) writable by this user, or choose another folder with --artifacts or "
                            + "MEDIAJOBS_ARTIFACTS")]
        }
        var checks = [Check(name: "artifacts", ok: true, detail: "\(folder)\(chosen) is writable")]
        do {
            let device = try store.checkOneFileSystem()
            checks.append(Check(name: "artifacts file system", ok: true,
                                detail: "tmp/, sha256/ and answers/ are on one file system (device \(device))"))
        } catch {
            checks.append(Check(name: "artifacts file system", ok: false, detail: "\(error)",
                                fix: "mount \(folder) as one file system, with nothing mounted below it"))
        }
        return checks
    }

    /// The lines of a PostgreSQL database: reachable (and the server's version), its schema migrations, and its clock
    /// against this machine's. The URL is shown without its password.
    static func postgresChecks(url: String, source: String) async -> [Check] {
        let shown = PostgresURL.redact(url)
        let report: PostgresServerReport
        do {
            report = try await PostgresJobStore.inspect(url: url)
        } catch {
            let reason = (error as? MediaJobsError)?.message ?? "\(error)"
            return [Check(name: "database", ok: false, detail: reason,
                          fix: "start the server, or correct the host, port, user, password or database of \(source)")]
        }
        var checks = [Check(
            name: "database", ok: true,
            detail: "\(report.url) (from \(source)): PostgreSQL \(report.serverVersion)"
                + (report.jobs.map { ", \($0) job(s)" } ?? ", no tables yet"))]
        let known = report.knownMigrations.count
        let applied = report.knownMigrations.count - report.missingMigrations.count
        if !report.unknownMigrations.isEmpty {
            checks.append(Check(
                name: "database schema", ok: true,
                detail: "\(applied) of \(known) migrations applied, and \(report.unknownMigrations.joined(separator: ", ")) "
                    + "that this version does not know",
                fix: "a newer mediajobs migrated it: run that version on this machine too", warning: true))
        } else if report.missingMigrations.isEmpty {
            checks.append(Check(name: "database schema", ok: true,
                                detail: "\(applied) of \(known) migrations applied (latest \(report.knownMigrations.last ?? "-"))"))
        } else {
            checks.append(Check(
                name: "database schema", ok: true,
                detail: "\(applied) of \(known) migrations applied; missing: \(report.missingMigrations.joined(separator: ", "))",
                fix: "the next command that opens the database applies them: mediajobs list --database '\(shown)'",
                warning: true))
        }
        let skew = report.clockSkew
        let words = String(format: "%.3f s", abs(skew)) + (skew >= 0 ? " behind" : " ahead of")
        let detail = "this machine's clock is \(words) the database's (measured within "
            + String(format: "%.1f ms", report.roundTrip * 1000) + ")"
        let fix = "synchronise this machine's clock (NTP: systemd-timesyncd or chrony): leases expire by it"
        if abs(skew) > skewFailure {
            checks.append(Check(name: "database clock", ok: false, detail: detail, fix: fix))
        } else if abs(skew) > skewWarning {
            checks.append(Check(name: "database clock", ok: true, detail: detail, fix: fix, warning: true))
        } else {
            checks.append(Check(name: "database clock", ok: true, detail: detail))
        }
        return checks
    }

    /// One line per remote provider: its base URL and whether its key is set (never the key). A missing key is not
    /// a failure: jobs for that provider are refused at submit, everything else works. A provider paused because it
    /// refused its key or has no credit is a failure, with the reason.
    static func providerChecks(home: MediaJobsHome, pauses: [ProviderAccountPause]) -> [Check] {
        do {
            let configuration = try Configuration.load(from: home.configURL).section(ProvidersConfiguration.self)
            return try ProviderRegistry.describe(configuration: configuration, pauses: pauses).compactMap { provider in
                guard let variable = provider.keyVariable else { return nil }
                let url = provider.baseURL ?? "?"
                if let pause = provider.pause {
                    let fix = pause.code.rawValue == "provider.insufficient_credits"
                        ? "add credit at \(provider.name), then: mediajobs providers resume \(provider.name)"
                        : "set a valid \(variable), or fix the key's access, then: mediajobs providers resume \(provider.name)"
                    return Check(name: "provider \(provider.name)", ok: false,
                                 detail: "PAUSED: \(pause.code.rawValue): \(pause.reason); \(url)", fix: fix)
                }
                return Check(name: "provider \(provider.name)", ok: true,
                             detail: provider.keySet ? "\(variable) set; \(url)" : "\(variable) not set; \(url)",
                             fix: provider.keySet ? nil : "export \(variable)=… to send jobs to \(provider.name)")
            }
        } catch {
            return [Check(name: "providers", ok: false, detail: "\(error)", fix: "fix config.json in \(home.url.path)")]
        }
    }

    /// How to get a missing piece on Debian 12.
    static func fix(for check: String) -> String {
        if check.hasPrefix("model.pocketsphinx") {
            return "apt-get install pocketsphinx-en-us (or run scripts/bootstrap.sh)"
        }
        return "install Debian's FFmpeg libraries: run scripts/bootstrap.sh (libavfilter8, libavcodec59 from Debian 12)"
    }
}
