import DoctorFacts
import Foundation

// Shared reading of timeouts for `upstream-timeout` and `worker-saturation`: which route a
// logged request went through, the two timeouts that race, and what the timed-out requests were.

extension TargetUse {
    /// The route a logged request went through, by the same server-name and location match
    /// the response checks use; `nil` when no route reaches this address.
    func route(for event: ProxyLogEvent) -> Route? {
        let routes = allRoutes
        return routes.isEmpty ? nil : ResponseWording.route(for: event, among: routes)
    }
}

/// Wording shared by the timeout checks.
enum TimeoutText {
    /// `GET /slow/ (3), GET /report/ (1)`: the requests that failed, most frequent first.
    static func requestsText(_ events: [ProxyLogEvent], limit: Int = 4) -> String? {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for event in events {
            guard let request = event.request, let path = ResponseWording.requestPath(event) else { continue }
            let method = request.split(separator: " ").first.map(String.init) ?? ""
            let key = method.isEmpty ? path : "\(method) \(path)"
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        guard !order.isEmpty else { return nil }
        let sorted = order.enumerated().sorted { lhs, rhs in
            let (a, b) = (counts[lhs.element] ?? 0, counts[rhs.element] ?? 0)
            return a != b ? a > b : lhs.offset < rhs.offset
        }.map(\.element)
        var text = sorted.prefix(limit).map { "\($0) (\(counts[$0] ?? 0))" }.joined(separator: ", ")
        if sorted.count > limit { text += " and \(sorted.count - limit) more" }
        return text
    }

    /// `1 s`, `2.5 s`, `90 s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// The app server's own settings a person can check and change: for the command line, the
    /// `ExecStart=`/`command=` line of the service that runs it (else `ps`); else the config line.
    static func settingSource(_ setting: AppServerSetting, app: AppServer, facts: Facts) -> String {
        switch setting.source {
        case AppServerCommandLine.source:
            if let location = facts.commandLineLocation(of: app) { return "\(location) (its command line)" }
            return "ps -o args= -p \(app.masterPID)"
        case AppServerSetting.defaultSource: return "\(app.kind)'s built-in default (not set in its command line or config file)"
        default: return setting.source
        }
    }

    /// The option name as the app server spells it.
    static func timeoutName(_ app: AppServer) -> String {
        switch app.kind {
        case "uwsgi": "harakiri"
        case "daphne": "--http-timeout"
        default: "--timeout"
        }
    }
}

extension Facts {
    /// Where the app server's command line is written: the `ExecStart=` or `command=` line of
    /// the systemd unit or supervisord program whose main process it is; `nil` for a bare process.
    func commandLineLocation(of app: AppServer) -> String? {
        services.first(where: { $0.pid == app.masterPID })?.commandLineLocation
    }
}

extension ManagedService {
    /// Where this service's command line is written: its `ExecStart=` / `command=` line, else
    /// its unit or program file; `nil` for a process no manager runs.
    var commandLineLocation: String? {
        manager == "none" ? nil : definition?.executable?.location ?? source
    }
}

/// `AppServerBind.source` of argv binds, repeated here because checks cannot import the parsers.
enum AppServerCommandLine {
    static let source = "command line"
}
