import DoctorFacts
import DoctorParsers

/// Turns what a `Host` returns into typed `Facts`. A read that fails becomes an
/// `Unavailable` fact and gathering goes on: the diagnosis always runs on what exists.
public struct FactGatherer: Sendable {
    public let host: any Host
    public let options: GatherOptions

    public init(host: any Host, options: GatherOptions) {
        self.host = host
        self.options = options
    }

    public func gather() async -> Facts {
        var facts = Facts(gatheredAt: host.referenceTime, fromSnapshot: host.isSnapshot)
        do {
            facts.processes = try host.processes()
        } catch {
            facts.unavailable.append(Unavailable(what: Unavailable.processTable, reason: error.description))
        }
        do {
            facts.listeners = try host.listeners()
        } catch {
            facts.unavailable.append(Unavailable(what: Unavailable.listenerTable, reason: error.description))
        }

        let nginx = await NginxGatherer(host: host, options: options, processes: facts.processes).gather()
        facts.proxies += nginx.proxies
        facts.routes += nginx.routes
        facts.unavailable += nginx.unavailable

        for index in facts.routes.indices {
            facts.routes[index].servedBy = facts.servingDescription(for: facts.routes[index])
        }
        return facts
    }
}
