import DoctorFacts

/// `/proc/pressure/{memory,cpu,io}` (pressure stall information, Linux 4.20+):
///
/// ```
/// some avg10=0.94 avg60=1.90 avg300=5.22 total=1903668049
/// full avg10=0.00 avg60=0.00 avg300=0.00 total=0
/// ```
public enum PressureStallFile {
    /// The `some` and `full` lines; `nil` when neither parses (not a PSI file).
    public static func parse(_ text: String, resource: String) -> PressureStall? {
        var stall = PressureStall(resource: resource)
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let kind = words.first, kind == "some" || kind == "full" else { continue }
            var fields: [Substring: Substring] = [:]
            for word in words.dropFirst() {
                guard let equals = word.firstIndex(of: "=") else { continue }
                fields[word[..<equals]] = word[word.index(after: equals)...]
            }
            guard let avg10 = fields["avg10"].flatMap({ Double($0) }), let avg60 = fields["avg60"].flatMap({ Double($0) }),
                  let avg300 = fields["avg300"].flatMap({ Double($0) }) else { continue }
            let figures = PressureFigures(avg10: avg10, avg60: avg60, avg300: avg300,
                                          totalMicroseconds: fields["total"].flatMap { UInt64($0) } ?? 0)
            if kind == "some" { stall.some = figures } else { stall.full = figures }
        }
        return stall.some == nil && stall.full == nil ? nil : stall
    }
}
