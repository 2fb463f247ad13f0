import CMediaFFmpeg
import CMediaShims

/// A libavfilter graph built filter by filter: owns the `AVFilterGraph` (and so every filter in it).
///
/// Options are set with `av_opt_set` on each filter context, never spliced into a graph
/// description string, so text with quotes, colons or commas reaches the filter unchanged.
final class FilterGraph {
    typealias Filter = UnsafeMutablePointer<AVFilterContext>

    let graph: UnsafeMutablePointer<AVFilterGraph>

    /// `threads` 0 lets libavfilter pick (slice threading in filters that support it).
    init(threads: Int32 = 1) throws {
        guard let graph = avfilter_graph_alloc() else {
            throw FFmpegError("avfilter_graph_alloc", message: "out of memory")
        }
        self.graph = graph
        graph.pointee.nb_threads = threads
    }

    deinit {
        var graph: UnsafeMutablePointer<AVFilterGraph>? = graph
        avfilter_graph_free(&graph)
    }

    static func isAvailable(_ filterName: String) -> Bool {
        avfilter_get_by_name(filterName) != nil
    }

    /// Adds filter `filterName` named `name`, sets `options` in order, and initializes it.
    @discardableResult
    func add(_ filterName: String, name: String, options: [(String, String)] = []) throws -> Filter {
        guard let filter = avfilter_get_by_name(filterName) else {
            throw FFmpegError("avfilter_get_by_name", message: "this FFmpeg has no \(filterName) filter")
        }
        guard let context = avfilter_graph_alloc_filter(graph, filter, name) else {
            throw FFmpegError("avfilter_graph_alloc_filter(\(filterName))", message: "out of memory")
        }
        for (key, value) in options {
            try check(
                av_opt_set(context, key, value, AV_OPT_SEARCH_CHILDREN), "\(filterName): setting option \(key)")
        }
        try check(avfilter_init_str(context, nil), "avfilter_init_str(\(filterName))")
        return context
    }

    /// Links each filter's first output to the next one's first input.
    func chain(_ filters: [Filter]) throws {
        for (from, to) in zip(filters, filters.dropFirst()) {
            try check(avfilter_link(from, 0, to, 0), "avfilter_link")
        }
    }

    func configure() throws {
        try check(avfilter_graph_config(graph, nil), "avfilter_graph_config")
    }
}
