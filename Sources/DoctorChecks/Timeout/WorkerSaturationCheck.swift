import DoctorFacts
import Foundation

/// `worker-saturation`: the 504s (and 502s) come in bursts with more requests in flight
/// than the app server has workers: requests waited in the listen queue behind busy
/// workers until nginx gave up, which is why the failures happen "only under load".
///
/// The figure is a lower bound read from the error log alone: a request that nginx gave up
/// on at time t after `proxy_read_timeout` T was in flight during [t − T, t], so read
/// timeouts logged less than T apart were in flight together. When that count exceeds the
/// app server's capacity (blocking workers × threads, running workers from the process
/// table first), the workers were saturated. Unlike `upstream-timeout` alone (one slow view
/// outliving the timeout) the fix is capacity or shorter requests, not a timeout; unlike
/// `backlog-full` the queue did not overflow, it was just too slow to drain.
/// Async workers (gevent, uvicorn) have no worker-count bound and are not judged.
public struct WorkerSaturationCheck: Check {
    public init() {}

    public let id = "worker-saturation"
    public let title = "Every worker was busy: requests queued until nginx gave up (only under load)"
    public let layer = Layer.capacity
    public let rationale = """
        Failures that come only under load are 504s (`upstream timed out … reading response header`) \
        for requests that waited in the app server's listen queue behind busy workers, not for one slow \
        view: many time out within one proxy_read_timeout of each other, more than the workers can run \
        at once (workers × threads), and the same requests answer quickly when the site is quiet. A 502 \
        under load is a full backlog (backlog-full) or dying workers (premature-close); a 500 is the app. \
        The one setting to look at: the app server's worker count (gunicorn --workers, with \
        (2 × cores) + 1 as the classic baseline, a hint not a law) against the peak of concurrent requests.
        """
    public let fixText = """
        Add capacity where the requests wait: more workers (gunicorn --workers; (2 × cores) + 1 is the \
        classic baseline, a hint not a law: memory and the database bound it too), threads for I/O-bound \
        views (--threads, gthread), or async workers; and make the slow requests shorter, since each one \
        holds a worker for its whole duration.
        """
    public let precedence = 55
    public let explains: Set<String> = ["upstream-timeout", "backlog-full"]

    public func run(_ facts: Facts) -> [Finding] {
        facts.allTargets().compactMap { use in check(use, facts: facts) }
    }

    private func check(_ use: TargetUse, facts: Facts) -> Finding? {
        let events = facts.failureEvents([.readTimeout], at: use.endpoint)
        guard let last = events.last, let route = use.route(for: last) ?? use.firstRoute,
              let app = facts.appServer(serving: use.endpoint) else { return nil }
        let limits = app.limits
        let running = app.workerPIDs.isEmpty ? nil : app.workerPIDs.count
        guard let capacity = limits.concurrency(runningWorkers: running) else { return nil }
        let race = TimeoutRace(route: route, app: app, facts: facts)
        guard let peak = Self.peakInFlight(events, window: race.nginxSeconds) else { return nil }
        let overCapacity = peak.count > capacity
        guard overCapacity || race.queuedPastWorkerKill else { return nil }

        let workers = running ?? limits.workers?.intValue ?? 1
        let threads = max(1, limits.threads?.intValue ?? 1)
        let capacityText = "\(workers) worker\(workers == 1 ? "" : "s") × \(threads) thread\(threads == 1 ? "" : "s") = \(capacity) request\(capacity == 1 ? "" : "s") at once"
        let peakClock = LogClock.text(for: peak.first, gatheredAt: facts.gatheredAt)

        var evidence = RouteWording.useEvidence(use)
        evidence.append(Evidence(kind: .log,
                                 text: "\(peak.count) requests timed out within \(TimeoutText.seconds(race.nginxSeconds)) of each other from \(peakClock): at least \(peak.count) were in flight at once",
                                 source: peak.first.source))
        evidence.append(Evidence(kind: .process, text: "\(app.label): \(capacityText)\(Self.settingsText(app))",
                                 source: "ps -o args= -p \(app.masterPID)"))
        if !overCapacity, let appEvidence = race.appEvidence { evidence.append(appEvidence) }
        if let perMinute = Self.perMinuteText(events, facts: facts) {
            evidence.append(Evidence(kind: .log, text: "read timeouts per minute: \(perMinute)", source: last.source))
        }
        if let rate = Self.requestRateEvidence(route: route, peakTime: peak.first.time, facts: facts) { evidence.append(rate) }
        evidence.append(race.nginxEvidence)
        if let requests = TimeoutText.requestsText(events) {
            evidence.append(Evidence(kind: .log, text: "timed out (504): \(requests)", source: last.source))
        }
        let others = facts.failureEvents([.connectTimeout, .backlogFull, .prematureClose], at: use.endpoint)
        if !others.isEmpty {
            evidence.append(Evidence(kind: .log, text: "\(others.count) other failure(s) to \(use.endpoint) in the window (connect timeouts, full backlog, premature closes)",
                                     source: others.last?.source))
        }
        evidence += RouteWording.logEvidence(events, facts: facts, limit: 2)
        if let cpus = limits.cpusOnline, let baseline = limits.classicWorkerBaseline {
            evidence.append(Evidence(kind: .file, text: "\(cpus) CPU\(cpus == 1 ? "" : "s") online: the classic (2 × cores) + 1 baseline is \(baseline) workers (a hint, not a law)",
                                     source: "/sys/devices/system/cpu/online"))
        }

        let summary: String
        if overCapacity {
            summary = "\(app.label) ran out of workers for \(route.label): \(peak.count) requests were in flight at once "
                + "(timed out within \(TimeoutText.seconds(race.nginxSeconds)) of each other from \(peakClock)) against \(capacityText); "
                + "they waited in the listen queue until nginx gave up (504)"
        } else {
            let count = RouteWording.windowCount(events, facts: facts)
            summary = "\(app.label) had no free worker for \(route.label): \(count) request\(count == 1 ? "" : "s") got no header within "
                + "\(race.nginxName) \(race.nginxValue), though a sync worker running one that long is killed by its "
                + "\(TimeoutText.timeoutName(app)) \(race.appSeconds ?? 0) s first (502); they waited in the listen queue (\(capacityText))"
        }

        var fix: [String] = []
        let workersSetting = limits.workers
        let workersAt = workersSetting.map { setting -> String in
            if setting.isDefault { return "not set, default \(setting.value)" }
            if setting.source == AppServerCommandLine.source {
                return "\(setting.value) on its command line" + (facts.commandLineLocation(of: app).map { " at \($0)" } ?? "")
            }
            return "\(setting.value) at \(setting.source)"
        } ?? "unknown"
        switch app.kind {
        case "uwsgi":
            fix.append("Raise uWSGI's processes (now \(workersAt)) or threads to cover the peak of \(peak.count) concurrent requests, as far as memory and the database allow")
        default:
            let hint = limits.classicWorkerBaseline.map { "; with \(limits.cpusOnline ?? 0) CPUs the classic (2 × cores) + 1 baseline is \($0), a hint not a law" } ?? ""
            fix.append("Raise \(app.kind)'s workers (--workers, now \(workersAt)) toward the peak of \(peak.count) concurrent requests\(hint), or use threads (--threads N) when the views wait on I/O")
        }
        fix.append("Make the slow requests shorter: each holds a worker for its whole duration (\(TimeoutText.requestsText(events, limit: 2) ?? "see the error log"))")
        fix.append("Raising \(race.nginxName) only lets the queue grow; it does not add capacity")
        return Finding(check: id, layer: layer, severity: .warning, summary: summary, route: route.label,
                       evidence: evidence, fix: fix, cause: "queued-behind-busy-workers")
    }

    /// The most read timeouts logged less than `window` seconds apart (so in flight together),
    /// and the first of them. nginx logs whole seconds: two lines `d` seconds apart may be
    /// up to `d + 1` apart, so only lines at most `window − 1` seconds apart count (same
    /// second at least). `nil` without timed events.
    static func peakInFlight(_ events: [ProxyLogEvent], window: Double) -> (count: Int, first: ProxyLogEvent)? {
        let timed = events.filter { $0.time != nil }.sorted { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }
        guard !timed.isEmpty else { return nil }
        let span = max(0, window - 1)
        var best: (count: Int, first: ProxyLogEvent)?
        var end = 0
        for start in timed.indices {
            guard let from = timed[start].time else { continue }
            if end < start { end = start }
            while end + 1 < timed.count, let next = timed[end + 1].time, next.timeIntervalSince(from) <= span { end += 1 }
            let count = end - start + 1
            if count > (best?.count ?? 0) { best = (count, timed[start]) }
        }
        return best
    }

    /// The request rate around the failures from the route's access log (its per-minute
    /// series): the busiest minute, the median, and whether the timeouts fall in the busiest one.
    static func requestRateEvidence(route: Route, peakTime: Date?, facts: Facts) -> Evidence? {
        let paths = Set(route.settings.accessLogs.compactMap(\.args.first))
        let windows = facts.accessLogs.filter { paths.contains($0.path) }
        guard let log = windows.first ?? (facts.accessLogs.count == 1 ? facts.accessLogs.first : nil),
              let busiest = log.minutes.max(by: { $0.requests < $1.requests }) else { return nil }
        let sorted = log.minutes.map(\.requests).sorted()
        let median = sorted[sorted.count / 2]
        var text = "access log: busiest minute \(utcClock(busiest.start)) with \(busiest.requests) request\(busiest.requests == 1 ? "" : "s") "
            + "(\(busiest.gatewayErrors) answered 502/504), median \(median) per minute over \(log.minutes.count) minute\(log.minutes.count == 1 ? "" : "s") with requests"
        if let peakTime {
            let peakMinute = floor(peakTime.timeIntervalSince1970 / 60)
            let failing = log.minutes.first { floor($0.start.timeIntervalSince1970 / 60) == peakMinute }
            if let failing, failing.start == busiest.start {
                text += "; the timeouts fall in that busiest minute"
            } else if let failing {
                text += "; the timeouts' minute \(utcClock(failing.start)) had \(failing.requests)"
            }
        }
        if let slowest = busiest.maxRequestTime { text += "; slowest request that minute \(String(format: "%.1f", slowest)) s" }
        return Evidence(kind: .log, text: text, source: log.source.map { "\(log.path) (access_log at \($0))" } ?? log.path)
    }

    /// `11:07 UTC`.
    static func utcClock(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d UTC", parts.hour ?? 0, parts.minute ?? 0)
    }

    /// `11:42 12, 11:43 1`: timeouts per minute on the log's clock, the busiest first (at most 5).
    static func perMinuteText(_ events: [ProxyLogEvent], facts: Facts) -> String? {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for event in events {
            let minute = LogClock.text(for: event, gatheredAt: facts.gatheredAt)
            if counts[minute] == nil { order.append(minute) }
            counts[minute, default: 0] += 1
        }
        guard !order.isEmpty else { return nil }
        let busiest = order.sorted { (counts[$0] ?? 0) > (counts[$1] ?? 0) }.prefix(5)
        return busiest.map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")
            + (order.count > 5 ? " (\(order.count) minutes with timeouts)" : "")
    }

    /// `; --workers 1 (command line), worker class sync`.
    static func settingsText(_ app: AppServer) -> String {
        var parts: [String] = []
        if let workers = app.limits.workers { parts.append("workers \(workers.described)") }
        if let threads = app.limits.threads, threads.intValue != 1 || !threads.isDefault { parts.append("threads \(threads.described)") }
        if let workerClass = app.limits.workerClass { parts.append("worker class \(workerClass.value)") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}
