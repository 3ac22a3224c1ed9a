import Foundation

/// The state of one service as `systemctl show -p …` reports it.
public struct ServiceState: Sendable, Equatable {
    public var loadState: String?
    /// `active`, `reloading`, `inactive`, `failed`, `activating`, `deactivating`.
    public var activeState: String?
    /// e.g. `running`, `dead`, `failed`, `auto-restart`, `start-pre`.
    public var subState: String?
    /// `success`, `exit-code`, `signal`, `core-dump`, `timeout`, `watchdog`,
    /// `start-limit-hit`, `oom-kill`, `resources`, `protocol`, …
    public var result: String?
    public var restarts: Int?
    /// Exit status, or the signal number when `execMainCode` is `killed`/`dumped`.
    public var execMainStatus: Int?
    /// The raw `ExecMainCode=` (a `CLD_*` number: 1 exited, 2 killed, 3 dumped; 0 none).
    public var execMainCode: Int?
    /// `nil` when systemd reports 0 (no main process).
    public var mainPID: Int?
    public var activeEnterTimestamp: Date?
    public var inactiveEnterTimestamp: Date?
    public var fragmentPath: String?
    public var dropInPaths: [String]
    /// Every property as printed, including the ones above.
    public var properties: [String: String]

    /// `execMainCode` in words.
    public var execMainCodeName: String? {
        switch execMainCode {
        case 1: "exited"
        case 2: "killed"
        case 3: "dumped"
        case 4: "trapped"
        case 5: "stopped"
        case 6: "continued"
        default: nil
        }
    }

    public init(properties: [String: String]) {
        self.properties = properties
        func text(_ key: String) -> String? {
            guard let value = properties[key], !value.isEmpty else { return nil }
            return value
        }
        func number(_ key: String) -> Int? { text(key).flatMap { Int($0) } }
        loadState = text("LoadState")
        activeState = text("ActiveState")
        subState = text("SubState")
        result = text("Result")
        restarts = number("NRestarts")
        execMainStatus = number("ExecMainStatus")
        execMainCode = number("ExecMainCode")
        mainPID = number("MainPID").flatMap { $0 > 0 ? $0 : nil }
        activeEnterTimestamp = text("ActiveEnterTimestamp").flatMap(SystemctlShow.timestamp)
        inactiveEnterTimestamp = text("InactiveEnterTimestamp").flatMap(SystemctlShow.timestamp)
        fragmentPath = text("FragmentPath")
        dropInPaths = text("DropInPaths")?.split(separator: " ").map(String.init) ?? []
    }
}

/// Output of `systemctl show`.
public enum SystemctlShow {
    /// `Key=Value` lines of the first unit (split at the first `=`; values may contain
    /// `=`). Lines without `=` are ignored. See `parseUnits` for several units.
    public static func parse(_ text: String) -> [String: String] {
        parseUnits(text).first ?? [:]
    }

    /// One dictionary per unit: `systemctl show a b` separates units by an empty line.
    public static func parseUnits(_ text: String) -> [[String: String]] {
        var units: [[String: String]] = []
        var current: [String: String] = [:]
        for rawLine in serviceTextLines(text) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty {
                if !current.isEmpty { units.append(current) }
                current = [:]
                continue
            }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else { continue }
            current[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        if !current.isEmpty { units.append(current) }
        return units
    }

    /// Typed states, one per unit in the output.
    public static func states(_ text: String) -> [ServiceState] {
        parseUnits(text).map(ServiceState.init(properties:))
    }

    /// Why systemctl cannot answer here, or `nil` when its stderr says nothing of the
    /// kind. Recognised (recorded on this host, see Fixtures/services/README.md):
    /// `System has not been booted with systemd as init system (PID 1). Can't operate.`,
    /// `Failed to connect to bus: …` (any reason), and `Running in chroot, ignoring command`.
    /// The first such line is returned, trimmed.
    public static func cannotOperate(_ stderr: String) -> String? {
        let markers = ["has not been booted with systemd", "Can't operate", "Failed to connect to bus",
                       "Running in chroot, ignoring"]
        for line in stderr.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if markers.contains(where: { trimmed.contains($0) }) { return String(trimmed.prefix(1000)) }
        }
        return nil
    }

    /// A timestamp as systemctl prints it: `Sat 2026-11-21 09:12:03 UTC`, with optional
    /// microseconds (`--timestamp=us`), `--timestamp=unix` (`@1763716323`), or empty /
    /// `n/a` for never. Zone abbreviations are resolved with `TimeZone(abbreviation:)`;
    /// an unknown one gives `nil` rather than a wrong instant.
    public static func timestamp(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "n/a" { return nil }
        if trimmed.hasPrefix("@") {
            let number = trimmed.dropFirst()
            if let seconds = Double(number) { return Date(timeIntervalSince1970: seconds) }
            return nil
        }
        let parts = trimmed.split(separator: " ")
        // [weekday] date time [zone]
        var fields = parts[...]
        if let first = fields.first, first.count == 3, first.allSatisfy(\.isLetter) { fields = fields.dropFirst() }
        guard fields.count == 3 else { return nil }
        let date = fields[fields.startIndex], time = fields[fields.startIndex + 1], zoneName = fields[fields.startIndex + 2]
        let dateParts = date.split(separator: "-").compactMap { Int($0) }
        guard dateParts.count == 3 else { return nil }
        let timeAndFraction = time.split(separator: ".", maxSplits: 1)
        let timeParts = timeAndFraction[0].split(separator: ":").compactMap { Int($0) }
        guard timeParts.count == 3 else { return nil }
        var fraction = 0.0
        if timeAndFraction.count == 2 {
            guard let value = Double("0." + timeAndFraction[1]) else { return nil }
            fraction = value
        }
        let zone: TimeZone?
        if zoneName == "UTC" || zoneName == "GMT" { zone = TimeZone(identifier: "UTC") } else { zone = TimeZone(abbreviation: String(zoneName)) }
        guard let zone else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var components = DateComponents()
        (components.year, components.month, components.day) = (dateParts[0], dateParts[1], dateParts[2])
        (components.hour, components.minute, components.second) = (timeParts[0], timeParts[1], timeParts[2])
        guard components.isValidDate(in: calendar), let base = calendar.date(from: components) else { return nil }
        return base.addingTimeInterval(fraction)
    }
}
