import CFuzzDriver
import Foundation
import MediaJobsCore

/// Any bytes as a job document (CLI `--file`, HTTP body, batch manifests). A job that is accepted is stored as
/// its JSON encoding and decoded again by every worker: that must succeed and give the same document.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJobDocument(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let spec = try? JobSpec.parse(json: data) else { return 0 }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let stored: Data
    let reread: JobSpec
    do {
        stored = try encoder.encode(spec)
        reread = try JSONDecoder().decode(JobSpec.self, from: stored)
        try reread.validate()
    } catch {
        fatalError("an accepted job does not read back from its encoding: \(error)\n\(String(decoding: data, as: UTF8.self))")
    }
    guard let again = try? encoder.encode(reread), again == stored else {
        fatalError("a job changes each time it is stored:\n\(String(decoding: stored, as: UTF8.self))")
    }
    return 0
}

/// The program's entry point under SwiftPM (see CFuzzDriver.h): libFuzzer's driver.
@_cdecl("FuzzJobDocument_main")
public func FuzzJobDocumentMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    mediajobs_fuzz_main(argc, argv)
}
