import Foundation
import MediaJobsCore
import NIOCore
import NIOPosix
import Synchronization

/// Probes, validates, transcodes, speaks and listens with the FFmpeg libraries, in process.
///
/// Every FFmpeg call blocks, so each operation runs as one job on the engine's own
/// `NIOThreadPool`, never on Swift's cooperative pool. Cancelling the calling task
/// makes the running job stop at its next frame and throw `media.canceled`.
public struct MediaEngine: Sendable {
    /// One engine per process is enough: its pool has a thread per core.
    public static let shared = MediaEngine()

    /// The names `synthesizeSpeech` accepts as `voice`.
    public static let fliteVoices: [String] = ["kal", "kal16", "awb", "rms", "slt"]

    /// How many FFmpeg jobs run at once.
    public let threads: Int
    let pool: NIOThreadPool

    /// An engine of `threads` threads of its own, one per size for the whole process (created on first use):
    /// a lane that work on `shared` can never fill, such as the one a worker's poll slots finish jobs on.
    public static func lane(threads: Int) -> MediaEngine {
        let threads = max(1, threads)
        return lanes.withLock { lanes in
            if let engine = lanes[threads] { return engine }
            let engine = MediaEngine(threads: threads)
            lanes[threads] = engine
            return engine
        }
    }

    private static let lanes = Mutex<[Int: MediaEngine]>([:])

    /// Starts a pool of `threads` threads that lives as long as the process.
    public init(threads: Int = System.coreCount) {
        self.threads = max(1, threads)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
        FFmpegLog.installOnce()
    }

    /// Runs `body` on the pool; a cancelled task sets the flag `body` checks between frames.
    func run<T: Sendable>(_ body: @escaping @Sendable (CancellationFlag) throws -> T) async throws -> T {
        let flag = CancellationFlag()
        return try await withTaskCancellationHandler {
            try Task.checkCancellation()
            return try await pool.runIfActive { try body(flag) }
        } onCancel: {
            flag.cancel()
        }
    }

    /// Reads the container and stream headers of `file` (no decoding).
    public func probe(_ file: URL) async throws -> MediaInfo {
        try await run { _ in MediaProbe.info(of: try InputFile(opening: file)) }
    }
}

extension CancellationFlag {
    func check(_ file: URL) throws {
        if isCanceled { throw MediaJobsError.media(.mediaCanceled, file, "canceled") }
    }
}
