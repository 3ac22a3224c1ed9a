import DoctorFacts
import Foundation

/// Reads the stderr of `nginx -t` into messages with file:line, and decides whether
/// the configuration itself is invalid or the test merely could not run.
public enum NginxTestOutput {
    /// Parses every `nginx: [level] text in FILE:LINE` line.
    public static func messages(_ stderr: String) -> [ConfigTestMessage] {
        stderr.split(whereSeparator: \.isNewline).compactMap { message(String($0)) }
    }

    /// The verdict of a finished `nginx -t`: `true` passed, `false` invalid config,
    /// `nil` when it failed for another reason (e.g. permission denied on a log or pid
    /// file when not run as root), which says nothing about the config.
    public static func verdict(exitCode: Int32?, messages: [ConfigTestMessage]) -> Bool? {
        guard let exitCode else { return nil }
        if exitCode == 0 { return true }
        let fatal = messages.filter { $0.level == "emerg" || $0.level == "crit" || $0.level == "alert" }
        if fatal.contains(where: { $0.location != nil }) { return false }
        // Only environment problems (no location, permission or missing directory): not the config's fault.
        if !fatal.isEmpty, fatal.allSatisfy({ $0.text.contains("(13:") || $0.text.contains("(2:") || $0.text.contains("(30:") }) {
            return nil
        }
        return fatal.isEmpty ? nil : false
    }

    static func message(_ line: String) -> ConfigTestMessage? {
        guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]") else { return nil }
        let level = String(line[line.index(after: open)..<close])
        guard ["emerg", "alert", "crit", "error", "warn", "notice", "info"].contains(level) else { return nil }
        var text = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
        // Error-log form: `2026/11/21 08:00:00 [emerg] 4242#4242: text`; the pid#tid says nothing here.
        if let colon = text.firstIndex(of: ":"), text[..<colon].contains("#"),
           text[..<colon].allSatisfy({ $0.isNumber || $0 == "#" }) {
            text = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var location: SourceLocation?
        // nginx ends located messages with " in /path/file:LINE"; paths may contain spaces, so split at the last " in ".
        if let range = text.range(of: " in ", options: .backwards) {
            let tail = text[range.upperBound...]
            if let colon = tail.lastIndex(of: ":"), let number = Int(tail[tail.index(after: colon)...]), tail.hasPrefix("/") {
                location = SourceLocation(file: String(tail[..<colon]), line: number)
                text = String(text[..<range.lowerBound])
            }
        }
        return ConfigTestMessage(level: level, text: text, location: location)
    }
}
