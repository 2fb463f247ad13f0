import Foundation
import MediaJobsCore
import PostgresNIO

/// A PostgreSQL connection URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…]`, parsed into the
/// settings of a connection.
///
/// `postgresql://` works too. Without a port, 5432; without a user, `postgres`; without a database, the user's name
/// (as libpq does). User and password may be percent-encoded. `?host=/run/postgresql` connects through the Unix socket
/// in that folder instead. `sslmode`: `disable` (no TLS), `prefer` or `allow` (TLS when the server offers it, except on
/// loopback, where it is off), `require` (TLS, any certificate), `verify-ca` (a trusted certificate, any name),
/// `verify-full` (a trusted certificate for the host); the default is `prefer`.
public struct PostgresURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The folder of the server's Unix socket, when the URL names one (`?host=/path`).
    public var socketFolder: String?
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: String
    /// The URL as given, without its password: safe to show in logs and errors.
    public var redacted: String

    /// Parses `text`, throwing `store.failure` naming the URL (without its password) and what is wrong with it.
    public init(_ text: String) throws {
        redacted = PostgresURL.redact(text)
        func invalid(_ reason: String) -> MediaJobsError {
            MediaJobsError(.storeFailure, "database URL \(PostgresURL.redact(text)): \(reason)")
        }
        guard let components = URLComponents(string: text) else {
            throw invalid("not a URL (expected postgres://user@host:port/database)")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("the scheme must be postgres:// or postgresql://")
        }
        var host = components.percentEncodedHost.flatMap { $0.removingPercentEncoding } ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw invalid("port \(port) is out of range") }
        username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 }
            ?? "postgres"
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = components.percentEncodedPath.removingPercentEncoding ?? components.path
        let name = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard !name.contains("/") else { throw invalid("the database name '\(name)' contains a '/'") }
        database = name.isEmpty ? username : name
        sslMode = "prefer"
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                let mode = item.value ?? ""
                guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(mode) else {
                    throw invalid("sslmode '\(mode)' is not one of disable, allow, prefer, require, verify-ca, "
                                  + "verify-full")
                }
                sslMode = mode
            case "host":
                guard let folder = item.value, folder.hasPrefix("/") else {
                    throw invalid("the host parameter must be the absolute path of a socket folder")
                }
                socketFolder = folder
            case "user":
                if let value = item.value, !value.isEmpty { username = value }
            case "password":
                password = item.value
            case "dbname":
                if let value = item.value, !value.isEmpty { database = value }
            case "application_name", "connect_timeout":
                break
            default:
                throw invalid("unknown parameter '\(item.name)' (known: sslmode, host, user, password, dbname)")
            }
        }
        if socketFolder == nil, host.isEmpty { throw invalid("no host") }
    }

    public var description: String { redacted }

    /// Whether the server is on this machine (loopback address or Unix socket), where TLS only costs time.
    public var isLoopback: Bool {
        socketFolder != nil || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// What `sslmode` asks for: nil for no TLS, else whether TLS is required and how the certificate is checked.
    private var tlsChoice: (required: Bool, verification: CertificateVerification)? {
        switch sslMode {
        case "disable": return nil
        case "allow", "prefer": return isLoopback ? nil : (false, .none)
        case "require": return (true, .none)
        case "verify-ca": return (true, .noHostnameVerification)
        default: return (true, .fullVerification)
        }
    }

    private static func tlsConfiguration(_ verification: CertificateVerification) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = verification
        return configuration
    }

    /// The settings of one connection to this URL's server.
    func connectionConfiguration(connectTimeout: TimeAmount = .seconds(10)) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketFolder {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: username, password: password,
                database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            if let choice = tlsChoice {
                let context = try NIOSSLContext(configuration: Self.tlsConfiguration(choice.verification))
                tls = choice.required ? .require(context) : .prefer(context)
            } else {
                tls = .disable
            }
            configuration = PostgresConnection.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    /// Server settings sent when a pool connection starts: the server probes an idle TCP connection after 60 s, every
    /// 15 s, and gives it up after 4 unanswered probes, so a NAT or firewall between the machines keeps the path open,
    /// and the server ends (and rolls back) the session of a client machine that went away. Ignored on Unix sockets.
    static let tcpKeepAlives = [
        ("tcp_keepalives_idle", "60"), ("tcp_keepalives_interval", "15"), ("tcp_keepalives_count", "4"),
    ]

    /// The settings of a pool of `connections` connections to this URL's server: with `keepOpen`, all opened when the
    /// pool starts and kept; otherwise opened as calls need them and closed after a minute idle.
    func clientConfiguration(connections: Int, keepOpen: Bool) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketFolder {
            configuration = PostgresClient.Configuration(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: username, password: password,
                database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            if let choice = tlsChoice {
                let settings = Self.tlsConfiguration(choice.verification)
                tls = choice.required ? .require(settings) : .prefer(settings)
            } else {
                tls = .disable
            }
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.maximumConnections = max(1, connections)
        configuration.options.additionalStartupParameters = Self.tcpKeepAlives
        if keepOpen {
            // Every connection is opened at the start and kept: the pool then sets no timers when a connection goes
            // back to it. With demand connections (and its keep-alive query), it starts and cancels two timer tasks
            // on every return, which cost more client CPU and thread switches than the store call itself
            // (docs/BENCHMARKS.md, "Queue on PostgreSQL"). An idle connection stays alive through the server's TCP
            // keep-alives instead.
            configuration.options.minimumConnections = configuration.options.maximumConnections
            configuration.options.keepAliveBehavior = nil
        } else {
            configuration.options.minimumConnections = 0
        }
        return configuration
    }

    /// `text` with the password of its user information (between `user:` and `@`) and any `password=` parameter
    /// removed; works on text that is not a valid URL too.
    public static func redact(_ text: String) -> String {
        var result = text
        if let schemeEnd = result.range(of: "://") {
            let rest = result[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"),
               let colon = rest[..<at].firstIndex(of: ":") {
                result.removeSubrange(colon..<at)
            }
        }
        if let query = result.firstIndex(of: "?") {
            let parameters = result[result.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false)
                .filter { !$0.lowercased().hasPrefix("password=") }
            result = String(result[...query]) + parameters.joined(separator: "&")
            if result.hasSuffix("?") { result.removeLast() }
        }
        return result
    }
}
