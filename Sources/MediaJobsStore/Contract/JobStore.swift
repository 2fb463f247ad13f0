import Foundation
import MediaJobsCore

/// The durable queue and all its records: every part of the store contract, as one backend implements it.
///
/// Two backends implement it: `SQLiteJobStore` (one file; the default) and the PostgreSQL store (fleets). Each part
/// is its own protocol, so a component can ask for only what it uses:
///
/// - `JobQueue`: enqueue, claim, lease, keep an answer, complete, fail, wait, release, cancel, retry, rescue, sweep;
/// - `BlockingLeaseRenewal`: a worker's lease keeper, off the cooperative pool;
/// - `JobLookup`: jobs by id, key, filter and change time, and counts;
/// - `JobStory`: events and stages;
/// - `ArtifactIndex`: artifact metadata and attachments;
/// - `CostLedger`: costs, budget holds, submission marks and risks;
/// - `ResultCache`: cache keys of succeeded jobs;
/// - `BatchStore`: batches, their entries and progress;
/// - `WorkerRegistry`: live worker processes;
/// - `ProviderLimiter` and `ProviderAccountPauses` (MediaJobsCore): provider slots, request rates, a 429's pause
///   and account pauses, shared by every worker of the store.
public protocol JobStore: JobQueue, BlockingLeaseRenewal, JobLookup, JobStory, ArtifactIndex, CostLedger,
    ResultCache, BatchStore, WorkerRegistry, ProviderLimiter, ProviderAccountPauses {}
