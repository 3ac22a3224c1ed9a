/// `WatchMetrics` in the Prometheus text exposition format (version 0.0.4): `# HELP` and
/// `# TYPE` once per family, label values escaped (`\\`, `\"`, `\n`), one sample per line.
///
/// Families are gauges for the last round (success, latency, status) and counters for what
/// happened since start; a scraper computes rates and alerts from those.
public enum PrometheusRenderer {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ metrics: WatchMetrics) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                out += name
                if !sample.labels.isEmpty {
                    out += "{" + sample.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " \(sample.value)\n"
            }
        }
        let probeLabels = { (probe: WatchMetrics.Probe) in [("route", probe.route), ("via", probe.via), ("endpoint", probe.endpoint)] }
        family("gwdoctor_probe_success", "gauge", "1 when the last probe got an HTTP answer under 500, else 0.",
               metrics.probes.map { (probeLabels($0), $0.success ? "1" : "0") })
        family("gwdoctor_probe_duration_seconds", "gauge", "Time from connect to the end of the response head of the last probe.",
               metrics.probes.map { (probeLabels($0), number($0.latencySeconds)) })
        family("gwdoctor_probe_status_code", "gauge", "HTTP status of the last probe; 0 when no HTTP response came.",
               metrics.probes.map { (probeLabels($0), String($0.status ?? 0)) })
        family("gwdoctor_route_up", "gauge", "1 when the route answers directly and, where it can be probed, through the proxy.",
               metrics.routesUp.keys.sorted().map { ([("route", $0)], metrics.routesUp[$0]! ? "1" : "0") })
        family("gwdoctor_failing", "gauge", "1 while some route fails (between an incident and its recovery).",
               [([], metrics.failing ? "1" : "0")])
        family("gwdoctor_checks_total", "counter", "Probe rounds completed.", [([], String(metrics.checksTotal))])
        family("gwdoctor_incidents_total", "counter", "Transitions to failing (each wrote an incident report).",
               [([], String(metrics.incidentsTotal))])
        family("gwdoctor_recoveries_total", "counter", "Transitions from failing back to answering.", [([], String(metrics.recoveriesTotal))])
        family("gwdoctor_actions_total", "counter", "Automatic repair steps run by --auto-fix, by kind and outcome.",
               metrics.actions.keys.sorted().map { ([("kind", $0.kind), ("outcome", $0.outcome)], String(metrics.actions[$0]!)) })
        family("gwdoctor_route_reloads_total", "counter", "Times the routes were read again (proxy config changed or its master restarted).",
               [([], String(metrics.routesReloadsTotal))])
        family("gwdoctor_last_check_timestamp_seconds", "gauge", "Unix time of the last completed probe round.",
               metrics.lastCheckTimestamp.map { [([], number($0))] } ?? [])
        family("gwdoctor_last_check_duration_seconds", "gauge", "How long the last probe round took.",
               [([], number(metrics.lastCheckDurationSeconds))])
        if let process = metrics.process {
            family("process_resident_memory_bytes", "gauge", "Resident memory of gwdoctor watch itself, in bytes.",
                   [([], String(process.residentBytes))])
            family("process_cpu_seconds_total", "counter", "User and system CPU time gwdoctor watch has used, in seconds.",
                   [([], number(process.cpuSeconds))])
        }
        return out
    }

    /// Label value escaping of the text format.
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// A float as Prometheus reads it, without exponent noise for ordinary values.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
