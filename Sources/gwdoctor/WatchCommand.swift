import ArgumentParser
import DoctorHost
import DoctorRemedy
import DoctorWatch
import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `gwdoctor watch`: probes every route every `--interval`, writes an incident report when the
/// site starts failing, optionally repairs it (`--auto-fix`: the `fix --apply` plan with its
/// guards and restart budget), and serves `/metrics` and `/healthz` for a scraper.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Probe every route continuously; on failure write an incident report (and with --auto-fix repair it); serve /metrics.",
        discussion: """
            Each --interval every route is probed directly and through the proxy (nothing else is read; the routes \
            are read again only when the proxy config or its master changes). When the site starts failing, the full \
            diagnosis runs and its report is written (Markdown and JSON, redacted) to STATE_DIR/incidents/; one line \
            is logged to stderr, and one more on recovery. --auto-fix then applies the `fix` plan as \
            `fix --apply --yes` would: guards, at most 3 restarts per service per 15 minutes, the audit log. \
            /metrics (Prometheus text format) and /healthz are served on --listen, loopback only unless \
            --allow-remote-listen. SIGTERM or SIGINT finishes the current round and exits 0. See docs/WATCH.md.
            """
    )

    @OptionGroup var hostOptions: HostOptions

    @Option(help: "How often to probe (e.g. 10s, 1m).")
    var interval = WatchDuration(argument: "10s")!

    @Option(name: .customLong("probe-timeout"), help: "Deadline of each probe (connect + response head), e.g. 1500ms, 2s.")
    var probeTimeout = WatchDuration(argument: "1500ms")!

    @Flag(name: .customLong("auto-fix"), help: "Apply the fix plan's automatic steps when the site starts failing (as fix --apply --yes).")
    var autoFix = false

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Incident reports, the audit log and the restart budget (created 0700).", valueName: "dir"))
    var stateDirectory: String = StateDirectory.defaultPath

    @Option(name: .customLong("verify-timeout"), help: "After each automatic step, how long to wait for the site to answer again.")
    var verifyTimeout = WatchDuration(argument: "15s")!

    @Option(help: ArgumentHelp("Address for /metrics and /healthz (HOST:PORT, [V6]:PORT); `off` serves nothing.", valueName: "addr"))
    var listen: String = ListenAddress.defaultValue.description

    @Flag(name: .customLong("keep-resident-pages"),
          help: "Keep the code pages that start-up and diagnoses faulted in (by default watch gives them back to idle at about half the RSS; docs/WATCH.md).")
    var keepResidentPages = false

    @Flag(name: .customLong("allow-remote-listen"), help: "Accept a non-loopback --listen address (/metrics names every route and upstream).")
    var allowRemoteListen = false

    func validate() throws {
        guard interval.duration >= .milliseconds(200) else { throw ValidationError("--interval must be at least 200ms") }
        guard probeTimeout.duration > .zero else { throw ValidationError("--probe-timeout must be positive") }
        if listen != "off" {
            guard let address = ListenAddress(parsing: listen) else {
                throw ValidationError("--listen \(listen): expected HOST:PORT, [IPv6]:PORT or off")
            }
            do { try address.check(allowRemote: allowRemoteListen) } catch { throw ValidationError(error.description) }
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "gwdoctor.watch")
        guard hostOptions.root == nil else {
            Terminal.writeError("gwdoctor: watch needs a live machine; --root (a snapshot) cannot be probed\n")
            throw ExitCode(64)
        }
        let host = LiveHost()
        let state = stateDirectory.hasPrefix("/") ? stateDirectory : FileManager.default.currentDirectoryPath + "/" + stateDirectory
        do { try StateDirectory(state).prepare() } catch {
            Terminal.writeError("gwdoctor: \(error)\n")
            throw ExitCode(3)
        }

        var settings = WatchLoop.Settings()
        settings.interval = interval.duration
        settings.probeTimeout = probeTimeout.duration
        settings.autoFix = autoFix
        settings.stateDirectory = state
        settings.verifyTimeout = verifyTimeout.duration
        settings.gatherOptions = hostOptions.gatherOptions(runConfigTest: true, probe: true, sinceSeconds: 900)
        settings.fixRetryDelay = max(.seconds(60), interval.duration * 6)
        settings.releaseIdlePages = !keepResidentPages

        let stop = StopSignal()
        // Signals become a flag: the loop finishes its round, the listener is closed, exit 0.
        signal(SIGPIPE, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.notice("signal \(number == SIGTERM ? "SIGTERM" : "SIGINT"): stopping after this round")
                stop.request()
            }
            source.resume()
            sources.append(source)
        }

        let loop = WatchLoop(host: host, actions: host, settings: settings, stop: stop, logger: logger)
        var server: MetricsServer?
        if listen != "off", let address = ListenAddress(parsing: listen) {
            do { server = try MetricsServer(address: address) } catch {
                Terminal.writeError("gwdoctor: \(error)\n")
                throw ExitCode(3)
            }
            server?.start { path in loop.respond(path: path) }
        }
        let served = server.map { "http://\($0.address)/metrics" } ?? "nothing (--listen off)"
        logger.info("watching every \(interval) (probe deadline \(probeTimeout)\(autoFix ? ", auto-fix on" : "")); metrics on \(served); state in \(state)")
        await loop.run()
        server?.stop()
        sources.forEach { $0.cancel() }
        logger.info("stopped")
    }
}

/// `--interval 10s`, `--probe-timeout 1500ms`: a duration in ms, s, m or h.
struct WatchDuration: ExpressibleByArgument, CustomStringConvertible {
    var milliseconds: Int

    init?(argument: String) {
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        guard let (suffix, scale) = units.first(where: { argument.hasSuffix($0.0) && Int(argument.dropLast($0.0.count)) != nil }),
              let value = Int(argument.dropLast(suffix.count)), value > 0 else { return nil }
        milliseconds = value * scale
    }

    var duration: Duration { .milliseconds(milliseconds) }
    var description: String { milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms" }
    var defaultValueDescription: String { description }
}
