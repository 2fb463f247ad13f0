import GRDB
import MediaJobsCore

extension SQLiteSchema {
    /// The route that made a job's result, written when the job succeeds: `route_used_provider` and
    /// `route_used_model`, and `route_used_cache_hit_of`, the job whose stored result a cache hit reused. Jobs that
    /// succeeded before this migration keep NULL: their route used is unknown, never inferred from the routes asked.
    static let v15RouteUsed = """
        ALTER TABLE jobs ADD COLUMN route_used_provider TEXT;
        ALTER TABLE jobs ADD COLUMN route_used_model TEXT;
        ALTER TABLE jobs ADD COLUMN route_used_cache_hit_of TEXT;
        """
}

/// The three `route_used_*` columns of `jobs`, read and written together.
enum RouteUsedColumns {
    /// The values to store for `route` (all NULL when it is nil).
    static func arguments(_ route: RouteUsed?) -> [(any DatabaseValueConvertible)?] {
        [route?.provider, route?.model, route?.cacheHitOf?.rawValue]
    }

    /// The route read from three consecutive columns starting at `index`; nil when its provider is NULL.
    static func decode(_ row: Row, atIndex index: Int) throws -> RouteUsed? {
        guard let provider = try row.decode(String?.self, atIndex: index) else { return nil }
        return RouteUsed(
            provider: provider, model: try row.decode(String?.self, atIndex: index + 1) ?? "",
            cacheHitOf: try row.decode(String?.self, atIndex: index + 2).map { JobID(rawValue: $0) })
    }
}
