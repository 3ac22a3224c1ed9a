import DoctorFacts
import DoctorParsers
import Foundation

/// Reads each proxy error log's `--since` window and summarises its upstream events.
struct ErrorLogGatherer: Sendable {
    let host: any Host

    func gather(_ proxies: [ProxyInstance], since start: Date) -> (windows: [ErrorLogWindow], unavailable: [Unavailable]) {
        var windows: [ErrorLogWindow] = []
        var unavailable: [Unavailable] = []
        var seen = Set<String>()
        let reader = LogWindowReader(host: host)
        for proxy in proxies {
            for log in proxy.errorLogs where log.isFile && seen.insert(log.path).inserted {
                do {
                    let window = try reader.read(log.path, since: start)
                    windows.append(NginxErrorLogWindow.summarize(lines: window.lines, path: log.path, windowStart: start,
                                                                 firstLineNumber: window.firstLineNumber,
                                                                 cutShort: window.cutShort))
                } catch {
                    unavailable.append(Unavailable(what: "error log \(log.path)", reason: error.description))
                }
            }
        }
        return (windows, unavailable)
    }
}
