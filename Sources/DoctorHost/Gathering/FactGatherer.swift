import DoctorFacts
import DoctorParsers
import Foundation

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
        // With --nginx-conf the main file is known before the process table is: start
        // parsing it now, on the other core, while /proc is scanned.
        let wanted = options.nginxConfig.map { NginxGatherer.absolute($0, against: FileManager.default.currentDirectoryPath) }
        async let early = wanted.map { path in
            NginxGatherer.Preloaded(path: path, config: NginxConfigLoader.load(mainFile: path, reader: host,
                                                                                 maxFileBytes: NginxGatherer.maxConfigFileBytes))
        }
        let (processes, processError) = Self.capture { () throws(HostError) in try host.processes() }
        if let processError {
            facts.unavailable.append(Unavailable(what: Unavailable.processTable, reason: processError.description))
        }
        let table = processes ?? []
        facts.processes = table
        // The socket tables and the config parse are independent; on two cores, overlap them.
        async let tables = readListeners(holders: table)
        let nginx = await NginxGatherer(host: host, options: options, processes: table, preloaded: early).gather()
        let (listeners, listenerError) = await tables
        if let listenerError {
            facts.unavailable.append(Unavailable(what: Unavailable.listenerTable, reason: listenerError.description))
        }
        facts.listeners = listeners ?? []
        facts.proxies += nginx.proxies
        facts.routes += nginx.routes
        facts.unavailable += nginx.unavailable

        for index in facts.routes.indices {
            facts.routes[index].servedBy = facts.servingDescription(for: facts.routes[index])
        }
        return facts
    }

    private func readListeners(holders: [ProcessRecord]) async -> ([Listener]?, HostError?) {
        Self.capture { () throws(HostError) in try host.listeners(holders: holders) }
    }

    private static func capture<T>(_ body: () throws(HostError) -> T) -> (T?, HostError?) {
        do {
            return (try body(), nil)
        } catch {
            return (nil, error)
        }
    }
}
