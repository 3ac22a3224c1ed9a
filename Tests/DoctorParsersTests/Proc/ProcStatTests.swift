import DoctorParsers
import Testing

/// `/proc/PID/stat` lines recorded on this machine (Linux, 100 ticks a second).
@Suite struct ProcStatTests {
    /// `cat /proc/self/stat`.
    static let plain = "24972 (cat) R 24968 24968 6399 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 3494791 3133440 412 18446744073709551615 94893103730688 94893103750569 140735064352544 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94893103766576 94893103768192 94893841727488 140735064357567 140735064357587 140735064357587 140735064358891 0\n"
    /// `sleep` run through a symlink named `a) R (b c`: the comm field holds spaces and parentheses.
    static let oddName = "25032 (a) R (b c) S 1 25026 6399 0 -1 4194304 138 0 0 0 0 0 0 0 20 0 1 0 3495139 2990080 406 18446744073709551615 94849951035392 94849951053321 140721168623456 0 0 0 0 6 0 1 0 0 17 0 0 0 0 0 0 94849951067408 94849951068672 94850470531072 140721168624317 140721168624339 140721168624339 140721168625637 0\n"

    @Test func startTicksIsField22() {
        #expect(ProcStat.startTicks(Self.plain) == 3_494_791)
    }

    @Test func commWithParenthesesAndSpacesDoesNotShiftFields() {
        #expect(ProcStat.startTicks(Self.oddName) == 3_495_139)
    }

    @Test func truncatedOrForeignTextIsUnknown() {
        #expect(ProcStat.startTicks("") == nil)
        #expect(ProcStat.startTicks("25032 (sleep) S 1 25026") == nil)
        #expect(ProcStat.startTicks(String(Self.plain.prefix(60))) == nil)
    }

    @Test func epochAddsTicksToBootTime() {
        #expect(ProcStat.startEpoch(ticks: 3_494_791, ticksPerSecond: 100, bootEpoch: 1_000_000.5) == 1_000_000.5 + 34_947.91)
        #expect(ProcStat.startEpoch(ticks: 1, ticksPerSecond: 0, bootEpoch: 0) == nil)
    }
}
