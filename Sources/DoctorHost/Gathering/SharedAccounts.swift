import DoctorFacts
import DoctorParsers
import Foundation

/// /etc/passwd and /etc/group, read at most once per diagnosis however many gatherers need
/// them (unix-socket access, systemd units, supervisord programs), and only when one does.
final class SharedAccounts: @unchecked Sendable {
    private let host: any Host
    private let lock = NSLock()
    // Guarded by `lock`.
    private var read: (AccountDatabase?, [Unavailable])?

    init(host: any Host) {
        self.host = host
    }

    /// The account database (`nil` when either file could not be read) and why not.
    func get() -> (AccountDatabase?, [Unavailable]) {
        lock.withLock {
            if let read { return read }
            let fresh = ServiceDefinitionResolver.readAccounts(host)
            read = fresh
            return fresh
        }
    }
}
