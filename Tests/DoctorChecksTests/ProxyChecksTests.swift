import DoctorChecks
import DoctorFacts
import Testing

/// Pure check logic on constructed facts; the same checks run on lab snapshots in
/// `CheckFixtureTests` and on live stacks in `LabTests`.
@Suite struct ProxyChecksTests {
    private let config = "/srv/site/nginx.conf"
    private let listen80 = ListenDirective(raw: "80", endpoint: .tcp(host: "0.0.0.0", port: 80),
                                           source: SourceLocation(file: "/srv/site/nginx.conf", line: 8))

    private func master(pid: Int) -> ProcessRecord {
        ProcessRecord(pid: pid, ppid: 1, uid: 0, user: "root",
                      cmdline: ["nginx: master process /usr/sbin/nginx -c /srv/site/nginx.conf"], comm: "nginx", socketInodes: [77])
    }

    @Test func proxyDownFiresWithoutMaster() {
        let facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, listens: [listen80])])
        let findings = ProxyDownCheck().run(facts)
        #expect(findings.count == 1)
        #expect(findings.first?.severity == .critical)
        #expect(findings.first?.summary.contains(config) == true)
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .critical)
        #expect(diagnosis.verdict.layer == .proxy)
        #expect(diagnosis.verdict.check == "proxy-down")
    }

    @Test func proxyDownSilentWhenMasterListens() {
        let facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, masterPID: 10, listens: [listen80])],
                          processes: [master(pid: 10)],
                          listeners: [Listener(endpoint: .tcp(host: "0.0.0.0", port: 80), inode: 77, pids: [10])])
        #expect(ProxyDownCheck().run(facts).isEmpty)
        #expect(VerdictRanker.diagnose(facts).status == .ok)
    }

    @Test func proxyDownFiresWhenMasterMissesItsListenAddress() {
        let facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, masterPID: 10, listens: [listen80])],
                          processes: [master(pid: 10)],
                          listeners: [Listener(endpoint: .tcp(host: "0.0.0.0", port: 8080), inode: 77, pids: [10])])
        let finding = ProxyDownCheck().run(facts).first
        #expect(finding?.severity == .critical)
        #expect(finding?.evidence.first?.source == "/srv/site/nginx.conf:8")
    }

    @Test func proxyDownStaysSilentWhenListenerTableIsUnavailable() {
        let facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, masterPID: 10, listens: [listen80])],
                          processes: [master(pid: 10)],
                          unavailable: [Unavailable(what: Unavailable.listenerTable, reason: "permission denied")])
        #expect(ProxyDownCheck().run(facts).isEmpty)
    }

    private func failedTest() -> ConfigTest {
        let command = CommandResult(argv: ["nginx", "-t", "-q", "-c", config], exitCode: 1,
                                    stderr: "nginx: [emerg] unexpected \"}\" in /srv/site/nginx.conf:14\nnginx: configuration file /srv/site/nginx.conf test failed\n")
        return ConfigTest(command: command, passed: false,
                          messages: [ConfigTestMessage(level: "emerg", text: "unexpected \"}\"",
                                                       location: SourceLocation(file: config, line: 14))])
    }

    @Test func configInvalidNamesFileAndLine() {
        let facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, configTest: failedTest())])
        let finding = ProxyConfigInvalidCheck().run(facts).first
        #expect(finding?.evidence.first?.source == "/srv/site/nginx.conf:14")
        #expect(finding?.summary.contains("/srv/site/nginx.conf:14") == true)
        #expect(finding?.severity == .critical)
    }

    @Test func invalidConfigOutranksProxyDown() {
        // nginx is down *because* its config is invalid: the verdict names the cause.
        let facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, listens: [listen80], configTest: failedTest())])
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.verdict.check == "proxy-config-invalid")
        #expect(diagnosis.findings.map(\.check) == ["proxy-config-invalid", "proxy-down"])
    }

    @Test func configInvalidIsAWarningWhileTheOldConfigServes() {
        let facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, masterPID: 10, listens: [listen80],
                                                  configTest: failedTest())],
                          processes: [master(pid: 10)],
                          listeners: [Listener(endpoint: .tcp(host: "0.0.0.0", port: 80), inode: 77, pids: [10])])
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .warning)
        #expect(diagnosis.verdict.check == "proxy-config-invalid")
    }

    @Test func parserErrorsStandInWhenTheTestCannotRun() {
        let notInstalled = ConfigTest(command: CommandResult(argv: ["nginx", "-t"], exitCode: nil, failure: "nginx: not installed"),
                                      passed: nil, messages: [])
        let syntax = ConfigDiagnostic(kind: .syntax, message: "unterminated quote", location: SourceLocation(file: config, line: 3))
        let emptyGlob = ConfigDiagnostic(kind: .emptyGlob, message: "include conf.d/*.conf matches nothing",
                                         location: SourceLocation(file: config, line: 4))
        let withSyntax = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, diagnostics: [syntax], configTest: notInstalled)])
        #expect(ProxyConfigInvalidCheck().run(withSyntax).first?.evidence.first?.source == "/srv/site/nginx.conf:3")
        // An empty glob is legal nginx: not a reason to call the config invalid.
        let withGlob = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: config, diagnostics: [emptyGlob], configTest: notInstalled)])
        #expect(ProxyConfigInvalidCheck().run(withGlob).isEmpty)
    }

    @Test func noProxyAtAllIsUnknown() {
        let diagnosis = VerdictRanker.diagnose(Facts(unavailable: [Unavailable(what: "nginx", reason: "not found")]))
        #expect(diagnosis.status == .unknown)
        #expect(diagnosis.status.exitCode == 3)
    }

    @Test func everyCheckIsDocumentedAndUnique() {
        let ids = CheckCatalog.all.map(\.id)
        #expect(Set(ids).count == ids.count)
        for check in CheckCatalog.all {
            // kebab-case: lowercase words and digits (`app-returned-5xx`), no leading/trailing/double dash.
            #expect(check.id.allSatisfy { ($0.isASCII && $0.isLowercase) || $0.isASCII && $0.isNumber || $0 == "-" }, "\(check.id)")
            #expect(!check.id.hasPrefix("-") && !check.id.hasSuffix("-") && !check.id.contains("--"), "\(check.id)")
            #expect(!check.rationale.isEmpty && !check.fixText.isEmpty && !check.title.isEmpty)
        }
    }
}
