import DoctorFacts
@testable import DoctorHost
import Foundation
import Testing

/// A probe is recorded and replayed under its framing too (`ProbeRequest.wire`): a
/// `proxy_pass` and a `uwsgi_pass` route to one socket are two probes with two answers.
/// Snapshots written before the framing was recorded still replay.
@Suite("Snapshot probes keyed by wire")
struct SnapshotProbeWireTests {
    static let socket = Endpoint.unix(path: "/run/app/app.sock")

    /// The answers a gunicorn socket gives (observed in the lab's protocol-mismatch
    /// scenarios): HTTP is served, a uwsgi packet is not HTTP to it and the connection closes.
    private struct TwoFramingsHost: DoctorHost.Host {
        var isSnapshot: Bool { false }
        var referenceTime: Date { Date() }
        func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] { throw .notFound(path) }
        func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail { throw .notFound(path) }
        func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus { throw .notFound(path) }
        func readLink(_ path: String) throws(HostError) -> String { throw .notFound(path) }
        func list(_ path: String) throws(HostError) -> [String] { throw .notFound(path) }
        func processes() throws(HostError) -> [ProcessRecord] { [] }
        func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener] { [] }
        func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult {
            CommandResult(argv: command.argv, exitCode: 0)
        }
        func probe(_ request: ProbeRequest) async -> ProbeResult {
            ProbeResult(endpoint: request.endpoint, path: request.path, hostHeader: request.hostHeader,
                        outcome: request.wire == .http ? .response(status: 200, server: "gunicorn") : .failed(.closedEarly),
                        elapsedMilliseconds: 4)
        }
    }

    private func request(_ wire: ProbeRequest.Wire, path: String = "/health/") -> ProbeRequest {
        ProbeRequest(endpoint: Self.socket, path: path, hostHeader: "example.com", wire: wire)
    }

    @Test func bothFramingsOfOneSocketAreRecordedAndReplayed() async throws {
        let recorder = SnapshotRecorder(wrapping: TwoFramingsHost(), gwdoctorVersion: "0.0-test")
        let http = await recorder.probe(request(.http))
        let uwsgi = await recorder.probe(request(.uwsgi))
        // Asked again (a second gather), each framing replaces only its own record.
        _ = await recorder.probe(request(.uwsgi))
        #expect(http.outcome != uwsgi.outcome)
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))

        let written = try SnapshotLayout.decoder().decode([RecordedProbe].self,
                                                          from: Data(contentsOf: URL(fileURLWithPath: output.file("snap/probes.json"))))
        #expect(written.count == 2)
        #expect(Set(written.compactMap(\.wire)) == [.http, .uwsgi])
        let text = try String(contentsOfFile: output.file("snap/probes.json"), encoding: .utf8)
        #expect(text.contains(#""wire" : "uwsgi""#) && text.contains(#""wire" : "http""#))

        let snapshot = try SnapshotHost(directory: output.file("snap"))
        #expect(await snapshot.probe(request(.http)).outcome == .response(status: 200, server: "gunicorn"))
        #expect(await snapshot.probe(request(.uwsgi)).outcome == .failed(.closedEarly))
        #expect(await snapshot.probe(request(.http, path: "/other/")).outcome == .failed(.notRecorded))
    }

    @Test func aRecordOfOneFramingDoesNotAnswerTheOther() async throws {
        let recorder = SnapshotRecorder(wrapping: TwoFramingsHost(), gwdoctorVersion: "0.0-test")
        _ = await recorder.probe(request(.uwsgi))
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))
        let snapshot = try SnapshotHost(directory: output.file("snap"))
        #expect(await snapshot.probe(request(.uwsgi)).outcome == .failed(.closedEarly))
        #expect(await snapshot.probe(request(.http)).outcome == .failed(.notRecorded), "not a guess from the uwsgi answer")
    }

    /// A real snapshot written before the framing was recorded (the lab's
    /// response-uwsgi-protocol-mismatch fixture): its probes have no `wire` and answer either.
    @Test func probesWithoutAWireFromAnOlderSnapshotStillReplay() async throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DoctorChecksTests/Fixtures/snapshots/response-uwsgi-protocol-mismatch").path
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/probes.json"))
        #expect(!String(decoding: data, as: UTF8.self).contains("\"wire\""), "the fixture is in the older format")
        let recorded = try SnapshotLayout.decoder().decode([RecordedProbe].self, from: data)
        #expect(!recorded.isEmpty)
        let snapshot = try SnapshotHost(directory: directory)
        for probe in recorded {
            #expect(probe.wire == nil)
            for wire in [ProbeRequest.Wire.http, .uwsgi] {
                let replayed = await snapshot.probe(ProbeRequest(endpoint: probe.endpoint, path: probe.path,
                                                                 hostHeader: probe.hostHeader, wire: wire))
                #expect(replayed.outcome == probe.result.outcome, "\(probe.endpoint) \(wire)")
                #expect(replayed.outcome != .failed(.notRecorded))
            }
        }
    }

    /// A snapshot holding both an older record and a keyed one: the keyed one wins for its framing.
    @Test func aKeyedRecordWinsOverAnUnkeyedOne() async throws {
        let output = try TemporaryDirectory()
        try output.write("meta.json", #"{"format": 1, "capturedAt": "2026-01-01T00:00:00Z", "hostname": "h", "gwdoctorVersion": "1"}"#)
        try output.write("probes.json", #"""
            [
              {"elapsedMilliseconds": 1, "endpoint": {"unix": {"path": "/run/app/app.sock"}}, "failure": "refused",
               "hostHeader": "example.com", "path": "/health/", "summary": "connection refused (ECONNREFUSED)"},
              {"elapsedMilliseconds": 1, "endpoint": {"unix": {"path": "/run/app/app.sock"}}, "status": 200, "server": "gunicorn",
               "hostHeader": "example.com", "path": "/health/", "summary": "HTTP 200 from gunicorn", "wire": "http"}
            ]
            """#)
        let snapshot = try SnapshotHost(directory: output.path)
        #expect(await snapshot.probe(request(.http)).outcome == .response(status: 200, server: "gunicorn"))
        #expect(await snapshot.probe(request(.uwsgi)).outcome == .failed(.refused))
    }
}
