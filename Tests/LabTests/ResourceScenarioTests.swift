import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Resource scenarios: a REAL full filesystem. Each lab mounts a 1 MiB tmpfs in a private
/// mount namespace (`LabMount`: nothing of the machine's mount table changes), runs
/// Gunicorn with its unix socket and worker tmp dir there and nginx with its proxy temp
/// path there, both inside that namespace, fills the tmpfs with `dd` (blocks) or `touch`
/// (inodes), and runs `gwdoctor diagnose` inside the namespace so statvfs sees the tmpfs.
///
/// memory-pressure has no lab scenario: a real low-memory state is not safely producible
/// on a shared machine; its fixture is this machine's real /proc/meminfo with
/// MemAvailable lowered (Tests/DoctorChecksTests/Fixtures/README.md).
extension LabTests {
    @Suite("Resource scenarios")
    struct ResourceScenario {
        /// nginx on 127.0.0.1:8080 in front of Gunicorn on `mount/gunicorn.sock`, both in the
        /// mount namespace; proxy temp files on the tmpfs too (as /var/lib/nginx on a full /var).
        private func startStack(_ lab: Lab, _ mount: LabMount,
                                serverDirectives: [String] = []) async throws -> (gunicorn: LabProcess, site: NginxSite) {
            let bind = Bind.unix(path: "\(mount.path)/gunicorn.sock")
            let site = NginxSite(upstream: bind, serverDirectives: serverDirectives)
            let config = lab.nginxConfig(site).replacingOccurrences(of: "proxy_temp_path \(lab.tmpDirectory)/proxy;",
                                                                    with: "proxy_temp_path \(mount.path)/proxy;")
            #expect(config.contains("proxy_temp_path \(mount.path)/proxy;"))
            try lab.writeNginxConfig(text: config)
            let gunicorn = try await lab.startGunicorn(in: mount, bind: bind, workers: 1,
                                                       extraArgs: ["--worker-tmp-dir", mount.path])
            try await lab.startNginx(in: mount)
            try await lab.waitUntilHealthy(site.listen, process: gunicorn)
            return (gunicorn, site)
        }

        private func report(_ run: DoctorRun, sourceLocation: SourceLocation = #_sourceLocation) throws -> ReportJSON {
            let report = try #require(try? run.decode(ReportJSON.self), "no JSON report:\n\(run)", sourceLocation: sourceLocation)
            #expect(run.exitCode == exitCode(forStatus: report.status), "\(run)", sourceLocation: sourceLocation)
            return report
        }

        private func capture(_ lab: Lab, _ mount: LabMount, _ name: String) async throws {
            guard Lab.capturesFixtures else { return }
            let destination = Lab.fixtureDestination(name, repositoryRoot: lab.repositoryRoot)
            let run = try await lab.captureSnapshot(in: mount, to: destination)
            #expect(run.exitCode == 0, "snapshot \(name) failed:\n\(run)")
            let meta = (try? String(contentsOfFile: "\(destination)/fs-meta.json", encoding: .utf8)) ?? ""
            #expect(meta.contains("\"statvfs\""), "the snapshot must record statvfs")
        }

        @Test("tmpfs holding the socket dir: healthy ok, then filled by dd: critical, capacity, disk-full naming the mount and what it holds")
        func socketDirectoryFull() async throws {
            try await withScenarioLab("res-disk-full", directory: scenarioDirectory("disk-full-socket-dir")) { lab in
                let mount = try await lab.mountTmpfs(name: "run-app", sizeKiB: 1024)
                // Outside the namespace the mount point is an empty directory of the lab.
                #expect((try? FileManager.default.contentsOfDirectory(atPath: mount.path))?.isEmpty == true)
                let (_, site) = try await startStack(lab, mount)
                let inside = try await lab.runInMount(mount, ["ls", mount.path])
                #expect(inside.stdout.contains("gunicorn.sock"), "\(inside)")

                // Healthy: the tmpfs is nearly empty.
                let healthy = try report(try await lab.diagnose(in: mount))
                #expect(healthy.status == "ok" && healthy.verdict.layer == "none" && healthy.verdict.check == nil,
                        "\(healthy.verdict.summary)\n\(healthy.findings.map(\.summary))")
                #expect(healthy.finding("disk-full") == nil)
                try await capture(lab, mount, "disk-tmpfs-healthy")

                // The fault, proven: df inside the namespace says 100 %, 0 available.
                let df = try await lab.fill(mount)
                let row = df.stdout.split(separator: "\n").last.map(String.init) ?? ""
                #expect(row.contains("100%") && row.split(separator: " ").dropFirst(3).first == "0", "\(df)")

                let run = try await lab.diagnose(in: mount)
                let full = try report(run)
                expectVerdict(run, full, status: "critical", layer: "capacity", check: "disk-full")
                let finding = try #require(full.finding("disk-full"), "\(run)")
                #expect(finding.severity == "critical")
                #expect(finding.summary.contains("\(mount.path) (tmpfs on gwdoctor-lab) is full"), "\(finding.summary)")
                #expect(finding.summary.contains("socket dir \(mount.path)"), "\(finding.summary)")
                #expect(finding.summary.contains("gunicorn worker tmp dir \(mount.path)"), "\(finding.summary)")
                #expect(finding.evidence.contains { $0.text.contains("100% used, 0 B of 1.0 MB available") }, "\(finding.evidence)")
                #expect(finding.fix.first?.contains("du -xh --max-depth=2 \(mount.path)") == true)
                // The machine's own disks are not full: only the tmpfs is reported.
                #expect(full.findings.filter { $0.check == "disk-full" }.count == 1, "\(full.findings.map(\.summary))")
                _ = site
                try await capture(lab, mount, "disk-full-socket-dir")
            }
        }

        /// A response larger than nginx's memory buffers, read slowly: nginx spills it to a temp
        /// file under proxy_temp_path, which is on the full tmpfs.
        private static let slowClient = #"""
        import socket, sys, time
        s = socket.create_connection(("127.0.0.1", 8080), timeout=10)
        s.sendall(b"GET /big/big.bin HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n")
        time.sleep(1.5)
        total = 0
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            total += len(chunk)
        print(total)
        """#

        @Test("proxy temp dir on a full tmpfs: nginx logs [crit] (28: No space left on device) while reading upstream; verdict disk-full with that line")
        func proxyTempFull() async throws {
            try await withScenarioLab("res-proxy-temp", directory: scenarioDirectory("disk-full-proxy-temp")) { lab in
                let mount = try await lab.mountTmpfs(name: "run-app", sizeKiB: 1024)
                // A second upstream with a large body: Python's http.server over a 4 MB file.
                let files = "\(lab.dataDirectory)/static"
                try FileManager.default.createDirectory(atPath: "\(files)/big", withIntermediateDirectories: true)
                try Data(repeating: 0x61, count: 4 << 20).write(to: URL(fileURLWithPath: "\(files)/big/big.bin"))
                let stat = try lab.startProcess(name: "static", [lab.python, "-m", "http.server", "8001", "--bind", "127.0.0.1",
                                                                 "--directory", files])
                try await lab.waitUntilListening(.tcp(8001), process: stat)
                let big = "location /big/ { proxy_pass http://127.0.0.1:8001; proxy_buffer_size 4k; proxy_buffers 4 4k; proxy_busy_buffers_size 8k; }"
                _ = try await startStack(lab, mount, serverDirectives: [big])
                try await lab.fill(mount)

                let client = try await lab.runInNamespace([lab.python, "-c", Self.slowClient], timeout: .seconds(30))
                let line = try await lab.waitForLogLine(lab.nginxErrorLog, containingAll: ["(28: No space left on device)", "upstream:"])
                #expect(line != nil, "client: \(client)\nerror log:\n\(lab.tail(lab.nginxErrorLog))")
                let received = Int(client.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
                #expect(received < 4 << 20, "the response was cut: \(received) bytes")

                let run = try await lab.diagnose(in: mount)
                let full = try report(run)
                expectVerdict(run, full, status: "critical", layer: "capacity", check: "disk-full")
                let finding = try #require(full.finding("disk-full"), "\(run)")
                #expect(finding.evidence.contains { $0.kind == "log" && $0.text.contains("No space left on device") && $0.text.contains("\(mount.path)/proxy") },
                        "\(finding.evidence.map(\.text))")
                try await capture(lab, mount, "disk-full-proxy-temp")
            }
        }

        @Test("tmpfs out of inodes: a restarted gunicorn cannot create its socket (ENOSPC), 502; verdict disk-full")
        func inodesExhausted() async throws {
            try await withScenarioLab("res-inodes", directory: scenarioDirectory("disk-full-inodes")) { lab in
                let mount = try await lab.mountTmpfs(name: "run-app", sizeKiB: 1024, inodes: 64)
                let (gunicorn, site) = try await startStack(lab, mount)
                // A restart (deploy, crash, reboot of the unit) must create the socket anew. The
                // stop removes the old socket (freeing its inode), so the files come after it.
                #expect(try await lab.stop(gunicorn), "gunicorn did not stop")
                let filled = try await lab.fillInodes(mount)
                #expect(filled.stdout.contains("100%"), "\(filled)")
                let restarted = try await lab.startGunicorn(in: mount, bind: .unix(path: "\(mount.path)/gunicorn.sock"), workers: 1,
                                                            extraArgs: ["--worker-tmp-dir", mount.path], waitForSocket: false)
                let log = "\(lab.logsDirectory)/gunicorn.log"
                let gaveUp = try await lab.waitForLogLine(log, containingAll: ["Can't connect to"], timeout: .seconds(30))
                #expect(gaveUp != nil, "gunicorn log:\n\(lab.tail(log))")
                #expect(lab.tail(log, lines: 200).contains("No space left on device") || lab.tail(log, lines: 200).contains("Errno 28"),
                        "gunicorn log:\n\(lab.tail(log))")
                #expect(try await lab.waitUntilExited(restarted, timeout: .seconds(20)), "gunicorn kept running:\n\(lab.tail(log))")
                let results = try await lab.generateTraffic(site.listen, count: 2)
                #expect(results.allSatisfy { $0.status == 502 }, "\(results)")

                let run = try await lab.diagnose(in: mount)
                let full = try report(run)
                expectVerdict(run, full, status: "critical", layer: "capacity", check: "disk-full")
                let finding = try #require(full.finding("disk-full"), "\(run)")
                #expect(finding.summary.contains("no free inode left"), "\(finding.summary)")
                #expect(finding.summary.contains("socket dir \(mount.path)"), "\(finding.summary)")
                try await capture(lab, mount, "disk-full-inodes")
            }
        }
    }
}
