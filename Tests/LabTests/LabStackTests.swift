import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The lab itself: real stacks come up, answer through the proxy, fail the way they
/// should, and leave nothing behind.
extension LabTests {
    @Suite("Lab stacks")
    struct Stacks {
        @Test("nginx → gunicorn on 127.0.0.1:8000 answers 200 from Django")
        func healthyTCP() async throws {
            try await withLab("stack-tcp") { lab in
                let (gunicorn, _, site) = try await startHealthyStack(lab, bind: .tcp(8000))

                let health = try await lab.httpGet(site.listen, path: "/health/")
                #expect(health.status == 200, "\(health)\n\(lab.logs())")
                #expect(health.body == "ok")
                #expect(health.headers["server"]?.hasPrefix("nginx") == true, "nginx must be the one answering: \(health)")

                let index = try await lab.httpGet(site.listen, path: "/")
                #expect(index.status == 200)
                // Served by one of this lab's gunicorn workers, not some other process.
                let servedBy = index.body.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                #expect(servedBy.map { processTree(gunicorn.pid).contains($0) } == true, "\(index.body) vs gunicorn \(gunicorn.pid)")

                let access = lab.tail(lab.nginxAccessLog)
                #expect(access.contains("upstream=127.0.0.1:8000 upstream_status=200"), "\(access)")
            }
        }

        @Test("nginx → gunicorn on a unix socket in the lab's run directory answers 200")
        func healthyUnixSocket() async throws {
            try await withLab("stack-unix") { lab in
                let socket = lab.socketPath()
                let (_, _, site) = try await startHealthyStack(lab, bind: .unix(path: socket))

                var info = stat()
                #expect(lstat(socket, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK, "\(socket) must be a socket")
                let health = try await lab.httpGet(site.listen, path: "/health/")
                #expect(health.status == 200, "\(health)\n\(lab.logs())")
                #expect(health.body == "ok")
                #expect(lab.tail(lab.nginxAccessLog).contains("upstream=unix:\(socket) upstream_status=200"))
            }
        }

        @Test("nginx → uvicorn (ASGI) answers 200 from Django")
        func uvicornBehindNginx() async throws {
            try await withLab("stack-uvicorn") { lab in
                let bind = Bind.tcp(8001)
                try await lab.startUvicorn(bind: bind)
                let direct = try await lab.httpGet(bind, path: "/health/")
                #expect(direct.status == 200)
                #expect(direct.headers["server"] == "uvicorn", "\(direct)")

                let site = NginxSite(upstream: bind)
                try lab.writeNginxConfig(site)
                try await lab.startNginx()
                let proxied = try await lab.httpGet(site.listen, path: "/health/")
                #expect(proxied.status == 200, "\(proxied)\n\(lab.logs())")
                #expect(proxied.body == "ok")
            }
        }

        @Test("nginx stopped: the proxy port refuses, gunicorn still answers directly")
        func nginxStopped() async throws {
            try await withLab("stack-stopped") { lab in
                let (_, nginx, site) = try await startHealthyStack(lab, bind: .tcp(8000))
                try await lab.stopNginx()

                #expect(!isAliveNotZombie(nginx.pid), "master \(nginx.pid) must be gone")
                let refused = try await lab.httpGet(site.listen, path: "/health/")
                #expect(refused.status == nil)
                #expect(refused.isRefused, "expected ECONNREFUSED, got \(refused)")
                let direct = try await lab.httpGet(.tcp(8000), path: "/health/")
                #expect(direct.status == 200)
            }
        }

        @Test("a syntax error in nginx.conf makes nginx -t fail naming file:line")
        func nginxTestNamesFileAndLine() async throws {
            try await withLab("stack-syntax") { lab in
                let good = try await {
                    try lab.writeNginxConfig(NginxSite(upstream: .tcp(8000)))
                    return try await lab.nginxTest()
                }()
                #expect(good.exitCode == 0, "\(good)")

                // `proxy_pass …` without its `;` right before `}`.
                try lab.writeNginxConfig(NginxSite(upstream: .tcp(8000), locationDirectives: ["proxy_pass http://127.0.0.1:8000"]))
                let broken = try await lab.nginxTest()
                #expect(broken.exitCode != 0)
                let location = try #require(nginxErrorLocation(broken.stderr), "\(broken)")
                #expect(location.hasPrefix("\(lab.nginxConfigPath):"))
                let line = Int(location.split(separator: ":").last ?? "")
                let directiveLine = lab.lineNumber(ofLine: "proxy_pass http://127.0.0.1:8000", in: lab.nginxConfigPath)
                // nginx names the line where it met the `}` that the missing `;` left unexpected.
                #expect(line != nil && directiveLine != nil && line! - directiveLine! <= 2 && line! >= directiveLine!,
                        "\(broken.stderr) vs directive at line \(directiveLine ?? -1)")
                #expect(broken.stderr.contains("unexpected \"}\""), "\(broken.stderr)")
            }
        }

        @Test("Django's own 500 passes through; a 20 kB header makes nginx answer 502")
        func appErrorsThroughTheProxy() async throws {
            try await withLab("stack-faults") { lab in
                let (_, _, site) = try await startHealthyStack(lab, bind: .tcp(8000))
                let boom = try await lab.httpGet(site.listen, path: "/boom/")
                #expect(boom.status == 500, "\(boom)")

                let big = try await lab.httpGet(site.listen, path: "/bigheader/")
                #expect(big.status == 502, "\(big)")
                let errorLog = lab.tail(lab.nginxErrorLog)
                #expect(errorLog.contains("upstream sent too big header while reading response header from upstream"), "\(errorLog)")

                let slow = try await lab.httpGet(site.listen, path: "/slow/?s=0.2")
                #expect(slow.status == 200 && slow.body.hasPrefix("slept 0.2"), "\(slow)")
            }
        }

        @Test("two labs bind the same ports at the same time without colliding")
        func labsAreIsolated() async throws {
            try await withLab("iso-a") { a in
                try await withLab("iso-b") { b in
                    #expect(a.networkNamespace != b.networkNamespace)
                    async let stackA = startHealthyStack(a, bind: .tcp(8000))
                    async let stackB = startHealthyStack(b, bind: .tcp(8000))
                    let ((gunicornA, _, siteA), (gunicornB, _, siteB)) = try await (stackA, stackB)
                    let fromA = try await a.httpGet(siteA.listen, path: "/")
                    let fromB = try await b.httpGet(siteB.listen, path: "/")
                    #expect(fromA.status == 200 && fromB.status == 200)
                    let pidA = fromA.body.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                    let pidB = fromB.body.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                    #expect(pidA.map { processTree(gunicornA.pid).contains($0) } == true)
                    #expect(pidB.map { processTree(gunicornB.pid).contains($0) } == true)
                }
            }
        }

        @Test("teardown stops every lab process, the namespace holder included, and removes the directory")
        func tearDownLeavesNothing() async throws {
            let lab = try await Lab.start(name: "teardown")
            var pids: [pid_t] = [lab.holderPID]
            do {
                let (gunicorn, nginx, _) = try await startHealthyStack(lab, bind: .unix(path: lab.socketPath()))
                try await lab.startUvicorn(bind: .tcp(8001))
                pids += lab.pidsInNamespace() + [gunicorn.pid, nginx.pid]
                // The stack really is several processes: gunicorn master + 2 workers,
                // nginx master + worker, uvicorn, and the holder.
                #expect(Set(pids).count >= 7, "\(pids)")
            } catch {
                lab.tearDown()
                throw error
            }
            lab.tearDown()
            #expect(lab.pidsInNamespace().isEmpty)
            let survivors = pids.filter { pid in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
                return !stat.contains(") Z ")
            }
            #expect(survivors.isEmpty, "still running: \(survivors)")
            #expect(!FileManager.default.fileExists(atPath: lab.directory) || ProcessInfo.processInfo.environment["GWDOCTOR_LAB_KEEP"] == "1")
        }

        @Test("withLab tears down when the body throws")
        func withLabTearsDownOnError() async throws {
            struct Expected: Error {}
            nonisolated(unsafe) var seen: Lab?
            await #expect(throws: Expected.self) {
                try await withLab("throws") { lab in
                    seen = lab
                    try await lab.startGunicorn(bind: .tcp(8000), workers: 1)
                    throw Expected()
                }
            }
            let lab = try #require(seen)
            #expect(lab.pidsInNamespace().isEmpty)
            #expect(!isAliveNotZombie(lab.holderPID))
        }

        @Test("a gunicorn that cannot boot fails the start with its traceback")
        func bootFailureIsReported() async throws {
            try await withLab("boot-fail") { lab in
                do {
                    try await lab.startGunicorn(bind: .tcp(8000), workers: 1, environment: ["DJANGO_SECRET_KEY": nil],
                                                timeout: .seconds(30))
                    Issue.record("gunicorn started without DJANGO_SECRET_KEY")
                } catch let error as LabError {
                    #expect("\(error)".contains("KeyError: 'DJANGO_SECRET_KEY'"), "\(error)")
                }
            }
        }
    }
}

/// Whether a pid is alive and not a zombie.
func isAliveNotZombie(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    return !stat.contains(") Z ")
}
