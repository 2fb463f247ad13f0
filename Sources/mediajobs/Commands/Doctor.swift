import ArgumentParser
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
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
    }

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
        do {
            let store = try SQLiteJobStore(path: home.databaseURL.path)
            let counts = try await store.countsByState()
            let total = counts.values.reduce(0, +)
            checks.append(Check(name: "database", ok: true, detail: "\(home.databaseURL.path): \(total) job(s)"))
        } catch {
            checks.append(Check(name: "database", ok: false, detail: "\(home.databaseURL.path): \(error)",
                                fix: "move the damaged file aside; a new one is created on the next command"))
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
        checks.append(contentsOf: Doctor.providerChecks(home: home, pauses: (try? await Providers.pauses(home: home)) ?? []))
        if global.json {
            try Terminal.writeJSON(checks)
        } else {
            for check in checks {
                Terminal.write("\(check.ok ? "ok  " : "FAIL")  \(JobText.pad(check.name, 22)) \(check.detail)")
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
