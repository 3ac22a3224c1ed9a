/// One `/proc/pressure/RESOURCE` file: the share of wall time in which some (or all
/// non-idle) tasks waited for the resource.
public struct PressureStall: Hashable, Codable, Sendable {
    /// `memory`, `cpu` or `io`.
    public var resource: String
    /// At least one task stalled.
    public var some: PressureFigures?
    /// Every non-idle task stalled at once: the machine did no useful work (absent for `cpu` on older kernels).
    public var full: PressureFigures?

    public init(resource: String, some: PressureFigures? = nil, full: PressureFigures? = nil) {
        self.resource = resource
        self.some = some
        self.full = full
    }
}

/// Averages over 10 s, 60 s and 300 s, in percent of wall time, and the total stall in microseconds.
public struct PressureFigures: Hashable, Codable, Sendable {
    public var avg10: Double
    public var avg60: Double
    public var avg300: Double
    public var totalMicroseconds: UInt64

    public init(avg10: Double, avg60: Double, avg300: Double, totalMicroseconds: UInt64) {
        self.avg10 = avg10
        self.avg60 = avg60
        self.avg300 = avg300
        self.totalMicroseconds = totalMicroseconds
    }
}
