import Foundation

/// How many times gwdoctor may restart one service in a sliding window (default 3 per
/// 15 minutes), across runs: restarts are kept in `STATE_DIR/restart-budget.json`.
///
/// A restart fixes a service that stopped; it does not fix one that keeps dying (a crash
/// loop, a boot crash). Past the budget `fix` stops and says that a person must look, with
/// the cause the diagnosis found. A restart is counted when it is *attempted*, before it
/// runs, so a restart that hangs or fails still uses the budget.
///
/// Concurrent runs: the read-modify-write holds an flock(2) on `restart-budget.lock`, and
/// the file is replaced by write-temp-then-rename, so it is never half-written.
public struct RestartBudget: Sendable {
    public static let fileName = "restart-budget.json"
    public static let lockName = "restart-budget.lock"
    public static let defaultLimit = 3
    public static let defaultWindow: TimeInterval = 15 * 60

    public let directory: StateDirectory
    public let limit: Int
    /// Seconds a restart counts against the budget.
    public let window: TimeInterval

    public init(directory: StateDirectory, limit: Int = RestartBudget.defaultLimit, window: TimeInterval = RestartBudget.defaultWindow) {
        self.directory = directory
        self.limit = limit
        self.window = window
    }

    public var path: String { directory.file(Self.fileName) }

    /// What the budget said about one restart.
    public enum Decision: Hashable, Sendable {
        /// Counted: this is restart `number` of `limit` in the window.
        case allowed(number: Int, limit: Int)
        /// Refused: `limit` restarts already in the window, at these times; the oldest leaves the window at `nextAllowed`.
        case exhausted(restarts: [Date], limit: Int, nextAllowed: Date)

        public var isAllowed: Bool {
            if case .allowed = self { return true }
            return false
        }
    }

    /// The key a service is counted under: `supervisor:app`, `systemd:app.service`.
    public static func key(manager: String, name: String) -> String { "\(manager):\(name)" }

    /// Counts one restart of `service` at `now` if the budget allows it, atomically.
    public func reserve(_ service: String, now: Date = Date()) throws(RemedyStateError) -> Decision {
        try directory.prepare()
        return try directory.withLock(Self.lockName) { () throws(RemedyStateError) -> Decision in
            var state = try load()
            state.prune(before: now.addingTimeInterval(-window))
            let times = state.restarts[service, default: []].sorted()
            if times.count >= limit {
                let oldest = Date(timeIntervalSince1970: times[times.count - limit])
                return .exhausted(restarts: times.map { Date(timeIntervalSince1970: $0) }, limit: limit,
                                  nextAllowed: oldest.addingTimeInterval(window))
            }
            state.restarts[service, default: []].append(now.timeIntervalSince1970)
            try save(state)
            return .allowed(number: times.count + 1, limit: limit)
        }
    }

    /// The restarts of `service` inside the window ending at `now`, oldest first.
    public func restarts(of service: String, now: Date = Date()) throws(RemedyStateError) -> [Date] {
        var state = try load()
        state.prune(before: now.addingTimeInterval(-window))
        return state.restarts[service, default: []].sorted().map { Date(timeIntervalSince1970: $0) }
    }

    /// The file's shape: `{"version":1,"restarts":{"supervisor:app":[1763731200.5, …]}}` (epoch seconds).
    struct State: Codable {
        var version = 1
        var restarts: [String: [Double]] = [:]

        mutating func prune(before cutoff: Date) {
            let limit = cutoff.timeIntervalSince1970
            restarts = restarts.compactMapValues { times in
                let kept = times.filter { $0 > limit }
                return kept.isEmpty ? nil : kept
            }
        }
    }

    /// A file that does not parse is an error, not an empty budget: forgetting past restarts
    /// is exactly what lets a crash loop be restarted forever.
    private func load() throws(RemedyStateError) -> State {
        guard let bytes = try directory.read(Self.fileName) else { return State() }
        do {
            let state = try JSONDecoder().decode(State.self, from: Data(bytes))
            guard state.version == 1 else { throw RemedyStateError(path, "version \(state.version) is not one this gwdoctor knows") }
            return state
        } catch let error as RemedyStateError {
            throw error
        } catch {
            throw RemedyStateError(path, "unreadable restart budget (\(error)); remove the file to reset the budget")
        }
    }

    private func save(_ state: State) throws(RemedyStateError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            try directory.replace(Self.fileName, with: Array(try encoder.encode(state)) + [UInt8(ascii: "\n")])
        } catch let error as RemedyStateError {
            throw error
        } catch {
            throw RemedyStateError(path, "cannot encode the restart budget: \(error)")
        }
    }
}
