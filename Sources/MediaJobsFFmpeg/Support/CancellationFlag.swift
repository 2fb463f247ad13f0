import Synchronization

/// Set by a task's cancellation handler, read by FFmpeg loops running on the media thread pool.
final class CancellationFlag: Sendable {
    private let state = Atomic<Bool>(false)

    var isCanceled: Bool { state.load(ordering: .relaxed) }

    func cancel() { state.store(true, ordering: .relaxed) }
}
