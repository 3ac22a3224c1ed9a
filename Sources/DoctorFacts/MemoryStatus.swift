/// The machine's memory as `/proc/meminfo` and pressure stall information
/// (`/proc/pressure/*`) report it.
///
/// These are the figures of the whole machine (or of the container's view of it): a
/// cgroup's own memory limit is not here, which is why a process can still be OOM-killed
/// on a machine with memory to spare.
public struct MemoryStatus: Hashable, Codable, Sendable {
    /// `MemTotal`, in bytes.
    public var totalBytes: UInt64
    /// `MemAvailable` (what can be allocated without swapping), in bytes; `nil` on kernels before 3.14.
    public var availableBytes: UInt64?
    /// `MemFree`, in bytes.
    public var freeBytes: UInt64
    /// `SwapTotal`, in bytes.
    public var swapTotalBytes: UInt64
    /// `SwapFree`, in bytes.
    public var swapFreeBytes: UInt64
    /// Stall figures per resource (`memory`, `cpu`, `io`) that the kernel provided.
    public var pressure: [PressureStall]
    /// Why there are no stall figures (`kernel without PSI: /proc/pressure is absent`), when there are none.
    public var pressureNote: String?

    public init(totalBytes: UInt64, availableBytes: UInt64?, freeBytes: UInt64, swapTotalBytes: UInt64 = 0,
                swapFreeBytes: UInt64 = 0, pressure: [PressureStall] = [], pressureNote: String? = nil) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
        self.freeBytes = freeBytes
        self.swapTotalBytes = swapTotalBytes
        self.swapFreeBytes = swapFreeBytes
        self.pressure = pressure
        self.pressureNote = pressureNote
    }

    /// `MemAvailable` as a share of `MemTotal`, in percent.
    public var availablePercent: Double? {
        guard let availableBytes, totalBytes > 0 else { return nil }
        return Double(availableBytes) / Double(totalBytes) * 100
    }

    /// Used swap in percent; `nil` without swap.
    public var swapUsedPercent: Double? {
        guard swapTotalBytes > 0 else { return nil }
        return Double(swapTotalBytes - min(swapFreeBytes, swapTotalBytes)) / Double(swapTotalBytes) * 100
    }

    /// The stall figures of `resource` (`memory`, `cpu`, `io`).
    public func pressure(_ resource: String) -> PressureStall? {
        pressure.first { $0.resource == resource }
    }
}
