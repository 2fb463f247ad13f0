import Foundation
import Testing
@testable import MediaJobsCore

/// A section as a module would declare one.
private struct Limits: ConfigurationSection, Equatable {
    static let sectionName = "limits"
    static let fieldNames: Set<String> = ["max_width", "labels"]
    static let defaults = Limits()
    var maxWidth: Int = 4096
    var labels: [String] = []
}

@Suite("Configuration sections")
struct ConfigurationTests {
    private func message(_ json: String) -> String? {
        do {
            _ = try Configuration(json: Data(json.utf8)).section(Limits.self)
            return nil
        } catch let error as MediaJobsError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func absentFileAndSectionGiveDefaults() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID()).json")
        #expect(try Configuration.load(from: missing).section(Limits.self) == Limits())
        #expect(try Configuration(json: Data(#"{"other": {}}"#.utf8)).section(Limits.self) == Limits())
    }

    @Test func snakeCaseFieldsDecode() throws {
        let limits = try Configuration(json: Data(#"{"limits": {"max_width": 640, "labels": ["a"]}}"#.utf8))
            .section(Limits.self)
        #expect(limits == Limits(maxWidth: 640, labels: ["a"]))
    }

    @Test func errorsNameTheFileFieldAndReason() {
        #expect(message(#"{"limits": {"max_widht": 1}}"#)?.hasPrefix("config.json: limits.max_widht: unknown field") == true)
        #expect(message(#"{"limits": {"max_width": "big"}}"#) == "config.json: limits.max_width: expected a whole number")
        #expect(message(#"{"limits": 3}"#) == "config.json: limits: expected an object")
        #expect(message("{")?.hasPrefix("config.json: not valid JSON") == true)
    }
}
