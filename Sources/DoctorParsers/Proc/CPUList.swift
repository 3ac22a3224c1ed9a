/// The kernel's CPU list format (`/sys/devices/system/cpu/online`, `Cpus_allowed_list`):
/// `0-3,6,8-9`.
public enum CPUList {
    /// How many CPUs the list names; `nil` when it is not a CPU list.
    public static func count(_ text: String) -> Int? {
        let trimmed = text.split(whereSeparator: { $0 == "\n" || $0 == " " || $0 == "\t" }).first ?? ""
        guard !trimmed.isEmpty else { return nil }
        var total = 0
        for part in trimmed.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]),
                  low >= 0, high >= low, high < 1 << 16 else { return nil }
            total += high - low + 1
        }
        return total
    }
}
