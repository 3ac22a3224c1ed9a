import ArgumentParser

/// `--since 15m`: a look-back window (`90s`, `15m`, `2h`, `1d`).
struct TimeWindow: ExpressibleByArgument, CustomStringConvertible {
    var seconds: Int

    init?(argument: String) {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800, "y": 31_536_000]
        guard let last = argument.last else { return nil }
        let multiplier = units[last]
        let number = multiplier == nil ? argument : String(argument.dropLast())
        guard let value = Int(number), value > 0 else { return nil }
        seconds = value * (multiplier ?? 1)
    }

    var description: String { "\(seconds)s" }
    var defaultValueDescription: String { "15m" }
}
