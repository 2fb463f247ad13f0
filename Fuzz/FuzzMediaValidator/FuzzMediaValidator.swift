import CFuzzDriver
import Dispatch
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

/// Any bytes as a downloaded result file, validated as the pipeline validates one: sniffed, opened and probed
/// by libavformat, every frame decoded, content checked. Any refusal is fine; a crash, a hang or a sanitizer
/// report is not. FFmpeg itself is not instrumented: coverage guides the Swift side only.
private let file: URL = {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("mediajobs-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    // No extension: the container is found from the content, as for a download without a usable name.
    return directory.appendingPathComponent("download")
}()

/// Small limits keep each input quick; the checks are the same as with the defaults.
private let limits: MediaLimits = {
    var limits = MediaLimits()
    limits.maxWidth = 1024
    limits.maxHeight = 1024
    limits.maxPixels = 1024 * 1024
    limits.maxDurationS = 120
    return limits
}()

/// Starts the engine's thread pool (allocated once, for the process) before libFuzzer counts allocations;
/// otherwise the first input would look like a leak.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzMediaValidatorInitialize(
    _ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    validate(Data())
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMediaValidator(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    validate(start.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
}

private func validate(_ data: Data) {
    guard (try? data.write(to: file)) != nil else { fatalError("cannot write \(file.path)") }
    let done = DispatchSemaphore(value: 0)
    let target = file
    Task.detached {
        _ = try? await MediaEngine.shared.validate(target, expecting: MediaExpectation(), limits: limits)
        done.signal()
    }
    done.wait()
}

/// The program's entry point under SwiftPM (see CFuzzDriver.h): libFuzzer's driver.
@_cdecl("FuzzMediaValidator_main")
public func FuzzMediaValidatorMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    mediajobs_fuzz_main(argc, argv)
}
