import Foundation
import MediaJobsCore
import MediaJobsHTTP

extension RemoteClient {
    /// Sends the cancel request a handle names (`cancel_url` / `urls.cancel`), inside the provider's limits.
    func cancel(_ text: String, method: String, headers: [(name: String, value: String)]) async throws -> Bool {
        let handle = try RemoteHandle.decode(text, provider: name)
        guard let url = handle.cancelURL.flatMap(URL.init(string:)) else { return false }
        _ = try await send(HTTPRequest(method: method, url: url, headers: headers, timeouts: settings.timeouts.poll),
                           action: "cancel", creates: false)
        return true
    }
}

extension FalProvider {
    /// fal's queue: `PUT …/requests/{id}/cancel`.
    public func cancel(_ handle: String) async throws -> Bool {
        try await client.cancel(handle, method: "PUT", headers: try headers())
    }
}

extension ReplicateProvider {
    /// `POST /predictions/{id}/cancel`.
    public func cancel(_ handle: String) async throws -> Bool {
        try await client.cancel(handle, method: "POST", headers: try headers())
    }
}
