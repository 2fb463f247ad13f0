// Download throughput of MediaJobsHTTP against the `curl` program, on loopback, same file, same server, same run.
//
//   swift build -c release --product DownloadBenchmark && .build/release/DownloadBenchmark --megabytes 500 --runs 3
//
// Serves one file of random bytes with Python's http.server on 127.0.0.1, then alternates: `curl -s -o FILE URL`
// and `HTTPClient.download(to: FILE)` (streamed to disk with SHA-256 on the fly). Prints MB/s per run, the median
// ratio ours ÷ curl, and peak resident memory: this process before and after its downloads, and curl's.
import Foundation
import MediaJobsHTTP
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    if let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1]) {
        return number
    }
    return value
}

func peakRSSKilobytes(children: Bool) -> Int {
    var usage = rusage()
    getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

let megabytes = argument("--megabytes", default: 500)
let runs = argument("--runs", default: 3)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("download-benchmark-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

// A file of random bytes, written in 8 MiB pieces.
let source = directory.appendingPathComponent("big.bin")
_ = FileManager.default.createFile(atPath: source.path, contents: nil)
let writer = try FileHandle(forWritingTo: source)
var generator = SystemRandomNumberGenerator()
for _ in 0..<(megabytes / 8) {
    var piece = [UInt8](repeating: 0, count: 8 << 20)
    for index in stride(from: 0, to: piece.count, by: 8) {
        withUnsafeBytes(of: generator.next() as UInt64) { bytes in
            for offset in 0..<8 { piece[index + offset] = bytes[offset] }
        }
    }
    try writer.write(contentsOf: piece)
}
try writer.close()
let size = (try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? Int64) ?? 0

let port = freePort()
let server = Process()
server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
server.arguments = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "\(port)", "--directory", directory.path]
server.standardOutput = FileHandle.nullDevice
server.standardError = FileHandle.nullDevice
try server.run()
defer { server.terminate() }
let url = URL(string: "http://127.0.0.1:\(port)/big.bin")!
let client = HTTPClient(maxConcurrentTransfers: 2)
// Wait for the server to listen.
for _ in 0..<100 {
    if let response = try? await client.send(HTTPRequest(method: "HEAD", url: url)), response.status == 200 { break }
    try await Task.sleep(for: .milliseconds(100))
}

print("DownloadBenchmark: \(megabytes) MiB (\(size) bytes) from Python http.server on 127.0.0.1, \(runs) runs each")
let target = directory.appendingPathComponent("copy.bin")
let rssBefore = peakRSSKilobytes(children: false)
var oursRates: [Double] = []
var curlRates: [Double] = []
var curlHashedRates: [Double] = []
let mib = Double(size) / 1_048_576
for run in 1...runs {
    try? FileManager.default.removeItem(at: target)
    var start = Date()
    let curl = Process()
    curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    curl.arguments = ["-s", "-o", target.path, url.absoluteString]
    try curl.run()
    curl.waitUntilExit()
    let curlSeconds = Date().timeIntervalSince(start)
    guard curl.terminationStatus == 0 else { fatalError("curl failed with \(curl.terminationStatus)") }
    try? FileManager.default.removeItem(at: target)

    start = Date()
    let download = try await client.download(
        HTTPRequest(url: url, timeouts: HTTPTimeouts(connect: 5, total: 600)), to: target, maxBytes: size + 1)
    let oursSeconds = Date().timeIntervalSince(start)
    guard download.bytes == size else { fatalError("short download: \(download.bytes) of \(size)") }
    // The like-for-like peer: curl streaming into `openssl dgst -sha256` (SHA-256 on the fly, as we do) and a file.
    try? FileManager.default.removeItem(at: target)
    start = Date()
    let hashed = Process()
    hashed.executableURL = URL(fileURLWithPath: "/bin/sh")
    hashed.arguments = ["-c", "curl -s \(url.absoluteString) | tee \(target.path) | openssl dgst -sha256 > /dev/null"]
    try hashed.run()
    hashed.waitUntilExit()
    let hashedSeconds = Date().timeIntervalSince(start)
    curlHashedRates.append(mib / hashedSeconds)
    curlRates.append(mib / curlSeconds)
    oursRates.append(mib / oursSeconds)
    print(String(format: "run %d: curl %.0f MiB/s (%.2f s)   curl|tee|sha256 %.0f MiB/s   MediaJobsHTTP %.0f MiB/s (%.2f s, sha256 %@…)   ratio %.2f",
                 run, mib / curlSeconds, curlSeconds, mib / hashedSeconds, mib / oursSeconds, oursSeconds,
                 String(download.sha256.prefix(12)), curlSeconds / oursSeconds))
}
let rssAfter = peakRSSKilobytes(children: false)
print(String(format: "median: curl %.0f MiB/s, curl|tee|sha256 %.0f MiB/s, MediaJobsHTTP %.0f MiB/s; "
             + "ratio to curl %.2f (goal ≥ 0.9), to curl|tee|sha256 %.2f",
             median(curlRates), median(curlHashedRates), median(oursRates), median(oursRates) / median(curlRates),
             median(oursRates) / median(curlHashedRates)))
print("peak RSS: this process \(rssBefore / 1024) MiB before downloading, \(rssAfter / 1024) MiB after "
      + "(\(megabytes) MiB downloaded \(runs)×); curl program \(peakRSSKilobytes(children: true) / 1024) MiB")
