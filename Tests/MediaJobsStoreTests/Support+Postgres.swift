import Foundation
import MediaJobsCore

@testable import MediaJobsStore

extension Backend {
    /// Every backend this run can reach: PostgreSQL joins when the test cluster's URL is set.
    static var all: [Backend] { [.sqlite] }
}

extension TestDatabase {
    static func createPostgresDatabase(for database: TestDatabase) async throws {
        throw MediaJobsError(.storeFailure, "PostgreSQL is not built into this test target yet")
    }

    static func openPostgres(for database: TestDatabase, retryPolicy: RetryPolicy) async throws -> any JobStore {
        throw MediaJobsError(.storeFailure, "PostgreSQL is not built into this test target yet")
    }

    static func dropPostgresDatabase(for database: TestDatabase, stores: [any JobStore]) async {}
}
