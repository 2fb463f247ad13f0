import ArgumentParser
import Foundation
import MediaJobsCore

@main
struct MediaJobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mediajobs",
        abstract: "Run media-generation jobs: speech, transcripts, images and video, validated and costed.",
        discussion: """
            Jobs are queued durably in a home folder (--home, MEDIAJOBS_HOME, default
            ~/.local/share/mediajobs), run by workers, proven real by FFmpeg, and stored by content hash.

              mediajobs submit tts --text "Hello there" --format mp3 --wait
              mediajobs submit transcribe --audio talk.wav --format srt --wait
              mediajobs worker --concurrency 2
              mediajobs list --state failed
            """,
        version: "0.1.0",
        subcommands: [
            Submit.self, Status.self, List.self, Wait.self, Cancel.self, Retry.self, Get.self, Costs.self,
            Batch.self, WorkerCommand.self, Serve.self, Migrate.self, Doctor.self, Probe.self, Validate.self, Convert.self,
            Providers.self, Models.self, SimulatorCommand.self,
        ])

    /// Parses and runs a command, mapping failures to the documented exit codes:
    /// 0 success, 1 the job failed or was canceled, 2 a usage or input error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as MediaJobsError {
            Terminal.printError(error)
            Foundation.exit(error.exitCode)
        } catch let exit as JobEndedBadly {
            Foundation.exit(exit.code)
        } catch {
            if exitCode(for: error) == .success {
                exit(withError: error)  // help, version
            }
            Terminal.writeError(fullMessage(for: error))
            Foundation.exit(2)
        }
    }
}

/// Thrown by commands whose job ended `failed` or `canceled`, after printing it: exit code 1.
struct JobEndedBadly: Error {
    var code: Int32 = 1
}

extension MediaJobsError {
    /// Input and usage errors exit with 2; anything else that stops a command with 1.
    var exitCode: Int32 {
        let code = self.code.rawValue
        if code.hasPrefix("input.") || code.hasPrefix("provider.unknown") || code.hasPrefix("provider.unsupported")
            || self.code == .jobNotFound || self.code == .invalidTransition || self.code == .artifactNotFound
            || self.code == .budgetExceeded {
            return 2
        }
        return 1
    }
}
