import DoctorFacts
import Foundation

/// The diagnosis the gate prints when a release did not become healthy: the verdict's status,
/// layer, check and cause (e.g. `app-startup-crash`, `missing-env-var`). Built by the caller
/// with the check catalog (DoctorRemedy does not depend on DoctorChecks).
public struct GateDiagnosis: Codable, Hashable, Sendable {
    public var status: String
    public var layer: String
    public var check: String?
    public var cause: String?
    public var summary: String
    /// The other warning and critical findings, ranked (`check (cause)`), so a reader sees what
    /// the verdict was chosen over.
    public var others: [String]

    public init(status: String, layer: String, check: String?, cause: String?, summary: String, others: [String] = []) {
        self.status = status
        self.layer = layer
        self.check = check
        self.cause = cause
        self.summary = summary
        self.others = others
    }

    /// `critical: app-startup-crash (missing-env-var) — summary`.
    public var line: String {
        "\(status): " + (check ?? "no check") + (cause.map { " (\($0))" } ?? "") + " — \(summary)"
    }
}

/// How a gate run ended, and its exit code.
public struct GateOutcome: Sendable {
    public enum Result: String, Codable, Sendable {
        /// `--dry-run`: the plan can be carried out; nothing was changed: exit 0.
        case dryRun = "dry-run"
        /// The new release is current and answered `successes` rounds in a row: exit 0.
        case deployed
        /// Refused before anything changed (not a release of a known root, already current,
        /// marked bad, nothing to restart or probe, the audit log not writable): exit 1.
        case refused
        /// The new release failed; `current` is back on the old release, which answers again;
        /// the new one is marked bad: exit 2.
        case rolledBack = "rolled-back"
        /// The new release failed and the old one does not know the migrations the database
        /// now has (or that cannot be told): the new release is left in place: exit 4.
        case schemaBlocked = "schema-blocked"
        /// Something failed part-way (the link could not be switched or switched back), or the
        /// old release does not answer either after the switch back: a person must look now: exit 5.
        case failed
    }

    public var result: Result
    public var release: String?
    public var previous: String?
    /// The consecutive-success count when the wait ended.
    public var health: String?
    /// The last probe round.
    public var lastRound: [GateRouteRound]
    /// Why the new release failed (absent when it passed or nothing ran).
    public var diagnosis: GateDiagnosis?
    /// The schema guard's verdict on switching back (absent unless the release failed).
    public var schema: SchemaVerdict?
    public var entries: [AuditEntry]
    public var message: String

    public init(result: Result, release: String? = nil, previous: String? = nil, health: String? = nil, lastRound: [GateRouteRound] = [],
                diagnosis: GateDiagnosis? = nil, schema: SchemaVerdict? = nil, entries: [AuditEntry], message: String) {
        self.result = result
        self.release = release
        self.previous = previous
        self.health = health
        self.lastRound = lastRound
        self.diagnosis = diagnosis
        self.schema = schema
        self.entries = entries
        self.message = message
    }

    /// 0 deployed; 1 refused (nothing changed); 2 rolled back; 4 schema blocked the switch
    /// back; 5 failed part-way. (3 stays "could not decide", as for every gwdoctor command.)
    public var exitCode: Int32 {
        switch result {
        case .deployed, .dryRun: 0
        case .refused: 1
        case .rolledBack: 2
        case .schemaBlocked: 4
        case .failed: 5
        }
    }

    /// The `--format json` object (keys stable; values redacted).
    public func json(auditLog: String) -> String {
        var object: [String: Any] = [
            "version": 1, "command": "gate", "result": result.rawValue, "exit_code": Int(exitCode),
            "message": Redactor.redact(message), "audit_log": auditLog,
            "audit": entries.map { entry -> Any in
                let data = (try? AuditLog.encoder.encode(entry.redacted())) ?? Data("{}".utf8)
                return (try? JSONSerialization.jsonObject(with: data)) ?? [:]
            },
            "last_round": lastRound.map { round -> [String: Any] in
                var item: [String: Any] = ["route": round.route, "direct": round.direct, "direct_healthy": round.directHealthy,
                                           "healthy": round.healthy]
                if let via = round.viaProxy { item["via_proxy"] = via }
                return item
            },
        ]
        if let release { object["release"] = release }
        if let previous { object["previous"] = previous }
        if let health { object["health"] = health }
        if let diagnosis {
            var item: [String: Any] = ["status": diagnosis.status, "layer": diagnosis.layer, "summary": Redactor.redact(diagnosis.summary)]
            if let check = diagnosis.check { item["check"] = check }
            if let cause = diagnosis.cause { item["cause"] = cause }
            item["others"] = diagnosis.others
            object["diagnosis"] = item
        }
        if let schema {
            object["schema"] = ["decision": schema.decision.rawValue, "reason": schema.reason,
                                "unknown_to_previous": schema.unknownToTarget.map(\.summary)] as [String: Any]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
