import DoctorFacts
import DoctorHost
@testable import DoctorRemedy
import Testing

@Suite("RemedyPlanner")
struct RemedyPlannerTests {
    private let tcp = Endpoint.tcp(host: "127.0.0.1", port: 8000)

    private func facts(services: [ManagedService], routes: [Route]? = nil) -> Facts {
        var facts = Facts(routes: routes ?? [Build.route(tcp)])
        facts.services = services
        return facts
    }

    private func plan(_ facts: Facts, _ findings: [Finding], status: Status = .critical) -> RemedyPlan {
        RemedyPlanner.plan(facts: facts, status: status, verdict: Build.verdict(findings[0]), findings: findings)
    }

    @Test("a stopped supervisor program behind the failing route: one restart through its own supervisord, nothing manual")
    func restartsTheStoppedProgram() {
        let plan = plan(facts(services: [Build.service(state: "STOPPED", bind: tcp)]), [Build.finding("target-not-listening")])
        #expect(plan.steps.count == 1)
        guard case let .restartService(service, _, routes) = plan.steps.first else {
            Issue.record("expected a restart, got \(plan.steps)")
            return
        }
        #expect(service == ServiceRef(manager: "supervisor", name: "app", managerConfig: Build.config))
        #expect(routes == ["app.test /"])
        #expect(plan.steps[0].commands == ["supervisorctl -c /etc/supervisor/supervisord.conf restart app"])
    }

    @Test("a systemd unit is restarted with systemctl restart -- UNIT")
    func systemdUnit() {
        let plan = plan(facts(services: [Build.service("app.service", manager: "systemd", state: "failed", bind: tcp)]),
                        [Build.finding("crash-loop")])
        #expect(plan.steps.map(\.commands) == [["systemctl restart -- app.service"]])
    }

    @Test("healthy: no step and a note")
    func healthy() {
        let finding = Finding(check: "x", layer: .none, severity: .info, summary: "fine")
        let plan = RemedyPlanner.plan(facts: facts(services: []), status: .ok, verdict: Verdict(layer: .none, check: nil, summary: "ok"),
                                      findings: [finding])
        #expect(plan.steps.isEmpty)
        #expect(plan.notes.first?.contains("nothing to fix") == true)
    }

    @Test("running services, services no route points at, and proxies are never restarted")
    func onlyTheFailingAppService() {
        let running = Build.service("web", state: "RUNNING", bind: tcp)
        let elsewhere = Build.service("worker", state: "STOPPED", bind: .tcp(host: "127.0.0.1", port: 9999))
        let proxy = Build.service("nginx", state: "STOPPED", bind: tcp, command: ["/usr/sbin/nginx", "-g", "daemon off;"])
        let plan = plan(facts(services: [running, elsewhere, proxy]), [Build.finding("target-not-listening")])
        #expect(plan.automaticSteps.isEmpty, "\(plan.steps)")
        #expect(plan.manualSteps.count == 1, "the finding's fix is left for a person")
    }

    @Test("no restart unless the upstream failed: a route mismatch is a manual step with the finding's exact fix")
    func wrongTargetIsManual() {
        let finding = Build.finding("target-mismatch", layer: .route, fix: ["Change proxy_pass at /etc/nginx/sites-enabled/app:12 to http://127.0.0.1:8001;"])
        let plan = plan(facts(services: [Build.service(state: "STOPPED", bind: tcp)]), [finding])
        #expect(plan.automaticSteps.isEmpty)
        #expect(plan.steps == [.manual(description: "target-mismatch: target-mismatch summary",
                                       commands: ["Change proxy_pass at /etc/nginx/sites-enabled/app:12 to http://127.0.0.1:8001;"])])
        #expect(plan.notes.contains { $0.contains("for a person") })
    }

    @Test("a boot crash: the cause's fix is shown to a person and the restart is still planned (the budget guards it)")
    func bootCrash() {
        let crash = Build.finding("app-startup-crash", layer: .startup, fix: ["Add DJANGO_SECRET_KEY to environment= at /etc/supervisor/conf.d/app.conf:4"],
                                  cause: "missing-env-var")
        let plan = plan(facts(services: [Build.service(state: "FATAL", bind: tcp)]), [crash, Build.finding("crash-loop")])
        #expect(plan.steps.map(\.kind) == ["manual", "restart-service"])
        #expect(plan.steps[0].commands == crash.fix)
        #expect(plan.causeText.hasPrefix("app-startup-crash (missing-env-var): "))
    }

    @Test("a socket file nothing listens on is removed before the start; with a listener it is left alone")
    func staleSocket() {
        let path = "/run/app/app.sock"
        let socket = Endpoint.unix(path: path)
        var stale = facts(services: [Build.service(state: "EXITED", bind: socket)], routes: [Build.route(socket)])
        stale.socketFiles[path] = .socket
        let plan = plan(stale, [Build.finding("socket-stale", layer: .socket)])
        #expect(plan.steps.map(\.kind) == ["remove-stale-socket"])
        #expect(plan.steps[0].commands == ["rm \(path)", "supervisorctl -c \(Build.config) start app"])

        var held = stale
        held.listeners = [Listener(endpoint: socket, inode: 42, pids: [99])]
        #expect(self.plan(held, [Build.finding("socket-stale", layer: .socket)]).steps.map(\.kind) == ["restart-service"])

        var missing = stale
        missing.socketFiles[path] = .missing
        #expect(self.plan(missing, [Build.finding("socket-missing", layer: .socket)]).steps.map(\.kind) == ["restart-service"])
    }

    @Test("a running nginx whose config test failed: validate-then-reload comes last, after the app's restart")
    func reloadLast() {
        var facts = facts(services: [Build.service(state: "STOPPED", bind: tcp)])
        let test = ConfigTest(command: CommandResult(argv: ["nginx", "-t"], exitCode: 1), passed: false,
                              messages: [ConfigTestMessage(level: "emerg", text: "unexpected \"}\"",
                                                           location: DoctorFacts.SourceLocation(file: "/etc/nginx/nginx.conf", line: 30))])
        facts.proxies = [ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", masterPID: 812,
                                       masterCmdline: ["nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf"], configTest: test)]
        let plan = plan(facts, [Build.finding("target-not-listening"),
                                Build.finding("proxy-config-invalid", layer: .proxy, severity: .warning, route: nil, fix: ["Fix /etc/nginx/nginx.conf:30"])])
        #expect(plan.steps.map(\.kind) == ["manual", "restart-service", "validate-then-reload"])
        guard case let .validateThenReload(reload) = plan.steps.last else { return }
        #expect(reload.masterPID == 812)
        #expect(reload.configTest.argv == ["/usr/sbin/nginx", "-t", "-q", "-c", "/etc/nginx/nginx.conf"])
        #expect(reload.lastTest == "[emerg] unexpected \"}\" at /etc/nginx/nginx.conf:30")

        // No master: nothing to reload (a stopped nginx is started by a person after the fix).
        facts.proxies[0].masterPID = nil
        #expect(!self.plan(facts, [Build.finding("target-not-listening")]).steps.contains { $0.kind == "validate-then-reload" })
    }

    @Test("a program whose supervisord config is unknown, or whose name is not a plain name, is not driven: a note says so")
    func undrivable() {
        let unknownConfig = Build.service(state: "STOPPED", bind: tcp, config: nil)
        let plan = plan(facts(services: [unknownConfig]), [Build.finding("target-not-listening")])
        #expect(plan.automaticSteps.isEmpty)
        #expect(plan.notes.contains { $0.contains("supervisord config is unknown") })

        let hostile = Build.service("-c/tmp/evil.conf", state: "STOPPED", bind: tcp)
        #expect(self.plan(facts(services: [hostile]), [Build.finding("target-not-listening")]).automaticSteps.isEmpty)
    }

    @Test("a snapshot's plan says it can only be shown")
    func snapshot() {
        var facts = facts(services: [Build.service(state: "STOPPED", bind: tcp)])
        facts.fromSnapshot = true
        #expect(plan(facts, [Build.finding("target-not-listening")]).notes.contains { $0.contains("never applied") })
    }
}

/// `proxy-config-not-loaded`: test then reload when the test passes; no reload of its own when it fails.
@Suite("RemedyPlanner: config not loaded")
struct RemedyPlannerNotLoadedTests {
    func facts(testPassed: Bool) -> Facts {
        var facts = Facts(routes: [Build.route(.tcp(host: "127.0.0.1", port: 8001))])
        var proxy = ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", masterPID: 812,
                                  masterCmdline: ["nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf"])
        proxy.configTest = ConfigTest(command: CommandResult(argv: ["nginx", "-t"], exitCode: testPassed ? 0 : 1), passed: testPassed,
                                      messages: testPassed ? [] : [ConfigTestMessage(level: "emerg", text: "unknown directive \"x\"",
                                                                                    location: DoctorFacts.SourceLocation(file: "/etc/nginx/nginx.conf", line: 9))])
        proxy.generation = ConfigGeneration(workersStarted: 1_000, oldestWorkerPID: 813, workerPIDs: [813], filesChecked: 1,
                                            changedFiles: [ChangedConfigFile(path: "/etc/nginx/nginx.conf", modified: 1_600)],
                                            gatheredAt: 2_000)
        facts.proxies = [proxy]
        return facts
    }

    @Test("test passes: one validate-then-reload of the master, and the finding's reload text is not repeated as a manual step")
    func reloadsWhenTheTestPasses() {
        let finding = Build.finding("proxy-config-not-loaded", layer: .proxy, fix: ["Reload nginx …"])
        let plan = RemedyPlanner.plan(facts: facts(testPassed: true), status: .critical, verdict: Build.verdict(finding), findings: [finding])
        #expect(plan.steps.map(\.kind) == ["validate-then-reload"])
        guard case let .validateThenReload(reload) = plan.steps.first else { return }
        #expect(reload.masterPID == 812)
        #expect(plan.steps[0].commands == ["/usr/sbin/nginx -t -q -c /etc/nginx/nginx.conf", "kill -HUP 812"])
        #expect(reload.lastTest?.contains("/etc/nginx/nginx.conf") == true)
    }

    @Test("no finding, or only a note: no reload")
    func noFindingNoReload() {
        let other = Build.finding("target-mismatch", layer: .route)
        #expect(!RemedyPlanner.plan(facts: facts(testPassed: true), status: .critical, verdict: Build.verdict(other), findings: [other])
            .steps.contains { $0.kind == "validate-then-reload" })
        let note = Build.finding("proxy-config-not-loaded", layer: .proxy, severity: .info)
        #expect(RemedyPlanner.plan(facts: facts(testPassed: true), status: .ok, verdict: Build.verdict(note), findings: [note]).steps.isEmpty)
    }

    @Test("test fails: the finding's fix (the test's error) is a manual step; the only reload is the failed-test one the executor refuses")
    func failingTestIsManual() {
        let finding = Build.finding("proxy-config-not-loaded", layer: .proxy, fix: ["Fix /etc/nginx/nginx.conf:9 (unknown directive \"x\")"])
        let plan = RemedyPlanner.plan(facts: facts(testPassed: false), status: .critical, verdict: Build.verdict(finding), findings: [finding])
        #expect(plan.manualSteps.count == 1)
        #expect(plan.manualSteps.first?.commands.first?.contains("nginx.conf:9") == true)
        #expect(plan.steps.filter { $0.kind == "validate-then-reload" }.count == 1)
        guard case let .validateThenReload(reload) = plan.steps.last else { return }
        #expect(reload.lastTest?.hasPrefix("[emerg]") == true, "the refused test's error is what the step shows")
    }
}
