import Foundation

/// Everything gathered from one host (live or snapshot), typed. Checks read only this.
public struct Facts: Codable, Sendable {
    /// When the facts were gathered; on a snapshot, when it was captured.
    public var gatheredAt: Date
    /// `true` when read from a snapshot directory rather than this machine.
    public var fromSnapshot: Bool
    public var proxies: [ProxyInstance]
    public var routes: [Route]
    public var processes: [ProcessRecord]
    public var listeners: [Listener]
    public var probes: [ProbeResult]
    /// Facts that could not be read, and why.
    public var unavailable: [Unavailable]

    public init(gatheredAt: Date = Date(), fromSnapshot: Bool = false, proxies: [ProxyInstance] = [],
                routes: [Route] = [], processes: [ProcessRecord] = [], listeners: [Listener] = [],
                probes: [ProbeResult] = [], unavailable: [Unavailable] = []) {
        self.gatheredAt = gatheredAt
        self.fromSnapshot = fromSnapshot
        self.proxies = proxies
        self.routes = routes
        self.processes = processes
        self.listeners = listeners
        self.probes = probes
        self.unavailable = unavailable
    }

    /// The process with this pid, if it was in the table.
    public func process(_ pid: Int) -> ProcessRecord? {
        processes.first { $0.pid == pid }
    }
}
