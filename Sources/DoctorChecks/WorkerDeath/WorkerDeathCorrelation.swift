import DoctorFacts
import Foundation

/// Why a worker died in the middle of a request, as the logs around nginx's line say.
/// The raw values are the `cause` of a `premature-close` finding (stable kebab-case).
enum WorkerDeathCause: String, CaseIterable {
    /// The app server killed its own worker for outliving its timeout: Gunicorn `WORKER TIMEOUT`
    /// then `was sent SIGKILL` (the worker was stuck where the abort could not reach it), uWSGI `HARAKIRI`.
    case workerTimeout = "worker-timeout"
    /// The kernel's OOM killer (its line, or the service's kill the gatherer attributed to it).
    case outOfMemory = "out-of-memory"
    /// SIGKILL with no timeout line before it and no OOM line in the kernel log: `kill -9`, a watchdog.
    case killedBySignal = "killed-by-signal"
    /// nginx saw the close, but no worker death lies near it in any log read.
    case unexplained
    /// Not a premature close at all: Gunicorn's timeout aborted a sync worker in Python code and
    /// Gunicorn answered 500 itself, which nginx passed on.
    case workerTimeout500 = "worker-timeout-500"
}

/// One nginx line paired with the worker death that explains it, when one does.
struct WorkerDeathPair {
    let event: ProxyLogEvent
    /// The app server's line (or, for a kill only the kernel logged, the kernel's).
    let kill: WorkerKill?
    /// The kernel's OOM line for the same kill, when it shows one.
    let kernel: WorkerKill?
    let cause: WorkerDeathCause
}

/// Correlates nginx's premature closes with worker deaths by time.
///
/// The clocks differ (nginx writes local time without a zone, Gunicorn `+0000`, uWSGI
/// `ctime` local time, the journal UTC): the parsers have turned every line into an instant,
/// so the comparison is between instants. Each log has one-second resolution, and Gunicorn's
/// master logs a SIGKILL when it reaps the worker (up to a second after nginx saw the close);
/// a `HARAKIRI` line comes just before the kill. Five seconds either way covers both without
/// pairing deaths a request apart under load: each kill goes to its nearest close first, and only
/// then to other closes near it (one threaded or async worker's death closes all its requests).
enum WorkerDeathCorrelation {
    static let seconds: TimeInterval = 5

    /// nginx lines that mean "the upstream closed before answering": a premature close while
    /// reading the response header, or a reset (`104`) in the same phase (the worker died with
    /// request bytes unread, so the kernel answered RST instead of FIN). A close while reading
    /// the body is a truncated response, another check's.
    static func isHeaderPhaseClose(_ event: ProxyLogEvent) -> Bool {
        switch event.kind {
        case .prematureClose: true
        case .reset: event.message.contains("response header")
        default: false
        }
    }

    /// Pairs every event (oldest first) with the nearest unused kill within `seconds`, then
    /// with a kernel OOM kill of the app server's program, else leaves it unexplained.
    static func pair(_ events: [ProxyLogEvent], kills: [WorkerKill], kernel: [WorkerKill]?, program: String?) -> [WorkerDeathPair] {
        var used = Set<Int>()
        var usedKernel = Set<Int>()
        var pairs: [WorkerDeathPair] = []
        let kernelKills = kernel ?? []
        for event in events {
            guard let at = event.time else {
                pairs.append(WorkerDeathPair(event: event, kill: nil, kernel: nil, cause: .unexplained))
                continue
            }
            let nearest = kills.indices.filter { !used.contains($0) }.compactMap { index -> (Int, TimeInterval)? in
                guard let time = kills[index].time else { return nil }
                let distance = abs(time.timeIntervalSince(at))
                return distance <= seconds ? (index, distance) : nil
            }.min { $0.1 < $1.1 }
            if let (index, _) = nearest {
                used.insert(index)
                let kill = kills[index]
                let kernelLine = kernelIndex(near: kill, in: kernelKills, excluding: usedKernel)
                if let kernelLine { usedKernel.insert(kernelLine) }
                let cause: WorkerDeathCause
                switch kill.reason {
                case .workerTimeout: cause = .workerTimeout
                case .outOfMemory: cause = .outOfMemory
                case .signal: cause = kernelLine != nil ? .outOfMemory : .killedBySignal
                }
                pairs.append(WorkerDeathPair(event: event, kill: kill, kernel: kernelLine.map { kernelKills[$0] }, cause: cause))
                continue
            }
            // One death can close several connections (a gthread worker's threads, an async
            // worker's requests): a close near a kill already paired is that kill's too.
            if let (index, _) = kills.indices.filter(used.contains).compactMap({ index -> (Int, TimeInterval)? in
                guard let time = kills[index].time else { return nil }
                let distance = abs(time.timeIntervalSince(at))
                return distance <= seconds ? (index, distance) : nil
            }).min(by: { $0.1 < $1.1 }), let earlier = pairs.last(where: { $0.kill == kills[index] }) {
                pairs.append(WorkerDeathPair(event: event, kill: earlier.kill, kernel: earlier.kernel, cause: earlier.cause))
                continue
            }
            // A kill only the kernel logged (the app server's log was not found or not read):
            // a process of the same program within seconds of the close.
            if let index = kernelKills.indices.first(where: { index in
                guard !usedKernel.contains(index), let time = kernelKills[index].time,
                      abs(time.timeIntervalSince(at)) <= seconds else { return false }
                return program.map { kernelKills[index].line.contains("(\($0))") || kernelKills[index].line.contains("(python") } ?? false
            }) {
                usedKernel.insert(index)
                pairs.append(WorkerDeathPair(event: event, kill: kernelKills[index], kernel: kernelKills[index], cause: .outOfMemory))
                continue
            }
            pairs.append(WorkerDeathPair(event: event, kill: nil, kernel: nil, cause: .unexplained))
        }
        return pairs
    }

    /// The kernel's OOM line for `kill`: the same pid, or (inside a PID namespace, where the
    /// app server's pids are not the kernel's) within seconds of it.
    private static func kernelIndex(near kill: WorkerKill, in kernel: [WorkerKill], excluding used: Set<Int>) -> Int? {
        if let pid = kill.pid, let same = kernel.indices.first(where: { !used.contains($0) && kernel[$0].pid == pid }) {
            return same
        }
        return kernel.indices.first { !used.contains($0) && isKernelLine(kernel[$0], of: kill) }
    }

    /// Whether the kernel's OOM line `kernel` is the kill a server's log reported as `kill`:
    /// the same pid, or within `seconds` of it (`oom-killed` cites the same pairs).
    static func isKernelLine(_ kernel: WorkerKill, of kill: WorkerKill) -> Bool {
        if let pid = kill.pid, pid == kernel.pid { return true }
        guard let time = kill.time, let kernelTime = kernel.time else { return false }
        return abs(kernelTime.timeIntervalSince(time)) <= seconds
    }

    /// Gunicorn's TIMEOUT line of a worker the abort ended by itself (no SIGKILL followed):
    /// the request got Gunicorn's own 500.
    static func isAbortedTimeout(_ kill: WorkerKill) -> Bool {
        kill.reason == .workerTimeout && kill.line.contains("WORKER TIMEOUT") && !kill.line.contains("SIGKILL")
    }
}
