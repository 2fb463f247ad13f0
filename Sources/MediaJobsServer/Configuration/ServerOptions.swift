import Foundation
import MediaJobsCore

/// Where and how the server listens, and what it accepts.
public struct ServerOptions: Sendable {
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    /// When set, every `/v1` request and `/metrics` must carry `Authorization: Bearer <token>`.
    public var token: String?
    public var limits: ServerSection

    public init(host: String = "127.0.0.1", port: Int = 8787, token: String? = nil, limits: ServerSection = .defaults) {
        self.host = host
        self.port = port
        self.token = token
        self.limits = limits
    }

    /// Whether `host` names this machine only: `localhost`, `::1` or an address in 127.0.0.0/8.
    public static func isLoopback(_ host: String) -> Bool {
        let trimmed = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if trimmed == "localhost" || trimmed == "::1" { return true }
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return false }
        return parts[0] == "127"
    }

    /// Refuses settings that would expose the queue: a non-loopback address without a token, an empty token.
    public func validate() throws {
        if let token, token.count < 16 {
            throw MediaJobsError.invalidInput("--token", "must be at least 16 characters")
        }
        if token == nil, !ServerOptions.isLoopback(host) {
            throw MediaJobsError.invalidInput(
                "--host", "\(host) is not a loopback address; serving beyond this machine needs --token")
        }
        guard (0...65535).contains(port) else {
            throw MediaJobsError.invalidInput("--port", "must be 0–65535")
        }
    }
}
