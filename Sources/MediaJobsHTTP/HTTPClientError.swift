import Foundation
import MediaJobsCore

/// A transfer that did not produce a response: the connection, the clock, the size limit or the caller
/// stopped it. HTTP error statuses are not errors here; they come back as responses for the caller to classify.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Could not resolve or connect.
        case connect
        /// The connect, total or low-speed timeout fired.
        case timeout
        /// The connection broke mid-transfer (reset, truncated body).
        case transfer
        /// The body exceeded the caller's maximum size.
        case tooLarge
        /// The calling task was cancelled.
        case canceled
        /// A local file could not be read or written.
        case file
        /// Anything else libcurl reported.
        case other
        /// The request's `sendGate` held it: nothing was sent; it may go at `heldUntil`.
        case held
    }

    public var kind: Kind
    /// What went wrong, naming the URL (without its query) and never a header value.
    public var message: String
    /// libcurl's error code.
    public var curlCode: Int
    /// True when the request body had been sent entirely before the failure: the server may have acted on it
    /// (a paid generation may be running), so the outcome is unknown.
    public var requestSent: Bool
    /// For `held`: when the gate lets the request go.
    public var heldUntil: Date?

    public init(kind: Kind, message: String, curlCode: Int = 0, requestSent: Bool = false, heldUntil: Date? = nil) {
        self.heldUntil = heldUntil
        self.kind = kind
        self.message = message
        self.curlCode = curlCode
        self.requestSent = requestSent
    }

    public var description: String { message }

    /// The error as MediaJobs reports it.
    public var mediaJobsError: MediaJobsError {
        switch kind {
        case .canceled: MediaJobsError(.canceled, message)
        case .tooLarge: MediaJobsError(.mediaInvalidOutput, message)
        default: MediaJobsError(.providerFailed, message)
        }
    }
}
