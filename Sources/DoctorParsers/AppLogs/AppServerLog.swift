import DoctorFacts
import Foundation

/// Finds boot failures in an app server's log window (Gunicorn, Uvicorn, uWSGI): a log
/// file, a supervisor log (the server's stderr) or journal lines (`journalctl -o short`
/// or `-o short-iso`, whose `host ident[pid]: ` prefix is recognised and removed).
///
/// A Python traceback spans many lines; the decisive line is its last line
/// (`KeyError: 'DJANGO_SECRET_KEY'`), classified with the frames above it (see
/// `AppServerLogClassifier`). When one exception is the cause of another (`The above
/// exception was the direct cause…`), the last one in the chain decides. Server shutdown
/// exceptions (`HaltServer`, `SystemExit`) only supply the exit code. Lines that are not
/// tracebacks and decide on their own: Gunicorn `Failed to find attribute`, `Connection in
/// use: (host, port)`; Uvicorn `Error loading ASGI app. Attribute … not found` / `Could not
/// import module`, `error while attempting to bind on address`; uWSGI `probably another
/// instance of uWSGI is running on the same address (…)`, `bind(): Address already in use`,
/// `*** no app loaded. GAME OVER ***` (reported as `no-app-loaded` only when no traceback in
/// the same start explains it; otherwise it gives that failure exit code 22).
///
/// Tracebacks of failed requests in a running app (Django's `Internal Server Error: /path`,
/// Gunicorn's `Error handling request`, Uvicorn's `Exception in ASGI application`) are not boot
/// failures and are skipped.
///
/// Failures with the same program, cause, detail and decisive text are one failure whose
/// `occurrences` counts the failed worker boots (each Gunicorn worker, each restart); a
/// Gunicorn master retrying a bind five times in one start is one occurrence.
public enum AppServerLog {
    /// - Parameters:
    ///   - lines: the window's lines, oldest first.
    ///   - source: the log's path (failures are sourced `path:LINE` when `firstLineNumber` is
    ///     known, else `source` as given, e.g. `journal`).
    ///   - firstLineNumber: the line number of `lines[0]` in the file.
    ///   - program: `gunicorn`/`uvicorn`/`uwsgi` when the caller knows it; else read from the log
    ///     (start banners, line formats, journal identifier, traceback frame paths), `unknown` failing that.
    ///   - appPackages: the app's own top-level packages (e.g. `labsite` from `labsite.wsgi`), to tell
    ///     an import error in the app from a missing third-party package.
    ///   - settingsModule: `DJANGO_SETTINGS_MODULE` when known.
    public static func classify(lines: [Substring], source: String, firstLineNumber: Int?,
                                program: String? = nil, appPackages: Set<String> = [], settingsModule: String? = nil,
                                localZone: TimeZone = .current) -> [StartupFailure] {
        var scanner = Scanner(program: program, appPackages: appPackages, localZone: localZone)
        scanner.settingsModule = settingsModule
        for (offset, raw) in lines.enumerated() {
            scanner.feed(raw, offset: offset, lines: lines)
        }
        return scanner.failures(source: source, firstLineNumber: firstLineNumber)
    }

    struct Event {
        var offset: Int
        var cause: StartupCause
        var detail: String?
        var line: Substring
        var program: String
        var time: Date?
        var segment: Int
        var exitCode: Int?
    }

    struct Scanner {
        let hint: String?
        let appPackages: Set<String>
        var settingsModule: String?
        let localZone: TimeZone
        var program: String?
        var time: Date?
        var segment = 0
        var frames: [Substring] = []
        /// Inside the traceback of a failed request (Django `Internal Server Error: /path`,
        /// Gunicorn `Error handling request`, Uvicorn `Exception in ASGI application`).
        var inRequestError = false
        var events: [Event] = []
        var exits: [(offset: Int, code: Int, segment: Int)] = []

        init(program: String?, appPackages: Set<String>, localZone: TimeZone) {
            self.hint = program
            self.program = program
            self.appPackages = appPackages
            self.localZone = localZone
        }

        mutating func feed(_ raw: Substring, offset: Int, lines: [Substring]) {
            var line = raw
            if line.last == "\r" { line = line.dropLast() }
            let journal = JournalPrefix.strip(line, localZone: localZone)
            let content = journal?.content ?? line
            if let identifier = journal?.identifier, hint == nil, let known = Self.knownProgram(identifier) {
                program = known
            }
            // Stamps lead the line ("[2026-…" or "2026-…"); skip the scan for traceback and prose lines.
            let stamped = content.first.map { $0 == "[" || $0.isNumber } ?? false
            if let stamp = (stamped ? LogTimestamp.parse(content, localZone: localZone) : nil) ?? journal?.time {
                time = stamp
            }
            noteStart(content)
            if content.hasPrefix("Traceback (most recent call last)") {
                frames = []
                return
            }
            if content.hasPrefix("  File \"") {
                frames.append(content)
                return
            }
            if Self.startsRequestError(content) {
                inRequestError = true
                return
            }
            if content.contains("Exception in worker process") { inRequestError = false }
            if let (type, message) = AppServerLogClassifier.exceptionLine(content) {
                if inRequestError {
                    // A request failed in a running app (a 500), not a boot.
                    if !Self.isChained(after: offset, lines) { inRequestError = false; frames = [] }
                    return
                }
                if AppServerLogClassifier.isShutdownException(type) {
                    // <HaltServer 'Worker failed to boot.' 3>
                    if let code = Self.trailingCode(message) { exits.append((offset, code, segment)) }
                    return
                }
                if Self.isChained(after: offset, lines) { return }
                let classified = AppServerLogClassifier.classify(type: type, message: message, frames: frames,
                                                                 appPackages: appPackages, settingsModule: settingsModule)
                if program == nil { program = Self.programFromFrames(frames) }
                add(offset, classified.cause, classified.detail, line)
                frames = []
                return
            }
            scanServerLine(content, original: line, offset: offset)
        }

        mutating func scanServerLine(_ content: Substring, original line: Substring, offset: Int) {
            // Gunicorn
            if let rest = AppServerLogClassifier.after(content, "Failed to find attribute ") {
                setProgram("gunicorn")
                let attribute = AppServerLogClassifier.quoted(rest, "'")
                let module = AppServerLogClassifier.after(rest, " in ").flatMap { AppServerLogClassifier.quoted($0, "'") }
                add(offset, .missingAttribute, Self.join(module, attribute), line)
            } else if content.contains("Connection in use: (") {
                setProgram("gunicorn")
                add(offset, .portInUse, AppServerLogClassifier.tupleAddress(content), line, oncePerStart: true)
            } else if content.contains("Can't connect to (") {
                exits.append((offset, 1, segment))
            } else if let code = Self.gunicornExit(content) {
                exits.append((offset, code, segment))
            }
            // Uvicorn
            else if let rest = AppServerLogClassifier.after(content, "Error loading ASGI app. ") {
                setProgram("uvicorn")
                if rest.hasPrefix("Attribute ") {
                    let attribute = AppServerLogClassifier.quoted(rest, "\"")
                    let module = AppServerLogClassifier.after(rest, "module ").flatMap { AppServerLogClassifier.quoted($0, "\"") }
                    add(offset, .missingAttribute, Self.join(module, attribute), line)
                } else if rest.hasPrefix("Could not import module") {
                    add(offset, .importError, AppServerLogClassifier.quoted(rest, "\""), line)
                } else {
                    add(offset, .other, nil, line)
                }
            } else if content.contains("error while attempting to bind on address") {
                setProgram("uvicorn")
                add(offset, .portInUse, AppServerLogClassifier.tupleAddress(content), line, oncePerStart: true)
            }
            // uWSGI
            else if let rest = AppServerLogClassifier.after(content, "running on the same address (") {
                setProgram("uwsgi")
                let address = rest.prefix { $0 != ")" }
                add(offset, .portInUse, address.isEmpty ? nil : String(address), line, oncePerStart: true)
            } else if content.hasPrefix("bind(): Address already in use") {
                setProgram("uwsgi")
                add(offset, .portInUse, nil, line, oncePerStart: true)
            } else if content.contains("no app loaded. GAME OVER") {
                setProgram("uwsgi")
                exits.append((offset, 22, segment))
                if !events.contains(where: { $0.segment == segment }) {
                    add(offset, .noAppLoaded, nil, line)
                }
            }
        }

        mutating func noteStart(_ content: Substring) {
            guard let first = content.first, first != " " else { return }
            for (marker, name) in Self.starts where content.contains(marker) {
                if marker != "Uvicorn running on" { segment += 1 }
                setProgram(name)
                if name == "uwsgi", let stamp = Self.uwsgiStartTime(content, localZone: localZone) { time = stamp }
                return
            }
            if content.hasPrefix("INFO:     ") || content.hasPrefix("ERROR:    ") { setProgram("uvicorn") }
        }

        mutating func setProgram(_ name: String) {
            if hint == nil { program = name }
        }

        mutating func add(_ offset: Int, _ cause: StartupCause, _ detail: String?, _ line: Substring, oncePerStart: Bool = false) {
            let name = program ?? "unknown"
            if oncePerStart, let last = events.last, last.segment == segment, last.cause == cause, last.program == name,
               last.detail == detail || detail == nil {
                return
            }
            if oncePerStart, detail != nil, let index = events.lastIndex(where: { $0.segment == segment && $0.cause == cause && $0.detail == nil }) {
                // uWSGI logs the address after nothing; Gunicorn before; keep the line naming it.
                events[index].detail = detail
                events[index].line = line
                return
            }
            events.append(Event(offset: offset, cause: cause, detail: detail, line: line, program: name, time: time,
                                segment: segment))
        }

        func failures(source: String, firstLineNumber: Int?) -> [StartupFailure] {
            var merged: [StartupFailure] = []
            var index: [String: Int] = [:]
            // Events and exits are both in line order: walk them together.
            var nextExit = 0
            for event in events {
                while nextExit < exits.count, exits[nextExit].offset < event.offset { nextExit += 1 }
                let code = nextExit < exits.count && exits[nextExit].segment == event.segment ? exits[nextExit].code : nil
                let text = Self.withoutLogPrefix(event.line)
                let key = "\(event.program)\u{1}\(event.cause.rawValue)\u{1}\(event.detail ?? "")\u{1}\(text)"
                if let at = index[key] {
                    merged[at].occurrences += 1
                    if merged[at].exitCode == nil { merged[at].exitCode = code }
                    continue
                }
                let where_ = firstLineNumber.map { "\(source):\($0 + event.offset)" } ?? source
                index[key] = merged.count
                merged.append(StartupFailure(cause: event.cause, detail: event.detail, decisiveLine: String(event.line),
                                             source: where_, time: event.time, program: event.program, exitCode: code))
            }
            return merged
        }

        // MARK: helpers

        static func startsRequestError(_ content: Substring) -> Bool {
            content.hasPrefix("Internal Server Error: ") || content.contains("Error handling request")
                || content.contains("Exception in ASGI application") || content.contains("Exception in callback")
        }

        static let starts: [(String, String)] = [
            ("Starting gunicorn", "gunicorn"), ("*** Starting uWSGI", "uwsgi"),
            ("Started server process", "uvicorn"), ("Uvicorn running on", "uvicorn"),
        ]

        static func knownProgram(_ identifier: Substring) -> String? {
            let lowered = identifier.lowercased()
            for name in ["gunicorn", "uvicorn", "uwsgi"] where lowered.contains(name) { return name }
            return nil
        }

        static func programFromFrames(_ frames: [Substring]) -> String? {
            for name in ["gunicorn", "uvicorn", "uwsgi"] where frames.contains(where: { $0.contains("/\(name)/") }) {
                return name
            }
            return nil
        }

        /// The next non-blank line says this exception caused or was handled into another.
        static func isChained(after offset: Int, _ lines: [Substring]) -> Bool {
            var next = offset + 1
            while next < lines.count {
                let candidate = JournalPrefix.strip(lines[next], localZone: .gmt)?.content ?? lines[next]
                let trimmed = candidate.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
                if trimmed.isEmpty || candidate.first == "\t" || candidate.first == " " { next += 1; continue }
                // Gunicorn prints str(exception) after the traceback; skip one such echo line.
                return trimmed.hasPrefix("The above exception was the direct cause")
                    || trimmed.hasPrefix("During handling of the above exception")
            }
            return false
        }

        /// `Worker (pid:N) exited with code 3`, `Reason: Worker failed to boot.`, `Reason: App failed to load.`
        static func gunicornExit(_ content: Substring) -> Int? {
            if let rest = AppServerLogClassifier.after(content, "exited with code ") {
                return Int(rest.prefix { $0.isNumber })
            }
            if content.contains("Reason: Worker failed to boot.") { return 3 }
            if content.contains("Reason: App failed to load.") { return 4 }
            return nil
        }

        /// `<HaltServer 'App failed to load.' 4>` → 4.
        static func trailingCode(_ message: Substring) -> Int? {
            var text = message
            while let last = text.last, last == ">" || last == " " || last == "." { text = text.dropLast() }
            let digits = text.reversed().prefix { $0.isNumber }
            guard !digits.isEmpty, digits.count < 4 else { return nil }
            return Int(String(digits.reversed()))
        }

        static func join(_ module: String?, _ attribute: String?) -> String? {
            switch (module, attribute) {
            case let (module?, attribute?): "\(module):\(attribute)"
            case let (module?, nil): module
            case let (nil, attribute?): attribute
            default: nil
            }
        }

        /// The line without Gunicorn's `[time] [pid] [LEVEL] ` or a journal prefix, so that
        /// the same failure from different workers and times merges.
        static func withoutLogPrefix(_ line: Substring) -> Substring {
            var text = JournalPrefix.strip(line, localZone: .gmt)?.content ?? line
            for _ in 0..<3 {
                guard text.first == "[", let close = text.firstIndex(of: "]") else { break }
                text = text[text.index(after: close)...].drop { $0 == " " }
            }
            return text
        }

        /// `*** Starting uWSGI 2.0.21-debian (64bit) on [Sat Nov 21 09:17:44 2026] ***`
        static func uwsgiStartTime(_ content: Substring, localZone: TimeZone) -> Date? {
            guard let rest = AppServerLogClassifier.after(content, " on ["), let close = rest.firstIndex(of: "]") else { return nil }
            return LogTimestamp.ctime(rest[..<close], localZone: localZone)
        }
    }
}

/// `Nov 21 09:17:48 host gunicorn[123]: msg` (`journalctl -o short`, syslog) and
/// `2026-11-21T09:17:48+0000 host gunicorn[123]: msg` (`-o short-iso`).
enum JournalPrefix {
    static func strip(_ line: Substring, localZone: TimeZone) -> (content: Substring, identifier: Substring, time: Date?)? {
        var rest = line[...]
        func token() -> Substring? {
            rest = rest.drop { $0 == " " }
            guard !rest.isEmpty else { return nil }
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            defer { rest = rest[end...] }
            return rest[..<end]
        }
        guard let lead = line.first, lead.isASCII, lead.isUppercase || lead.isNumber else { return nil }
        guard let first = token() else { return nil }
        var time: Date?
        if let month = LogTimestamp.months.firstIndex(of: String(first)) {
            guard let day = token().flatMap({ Int($0) }), let clock = token(), clock.count == 8 else { return nil }
            let year = LogTimestamp.year(of: Date(), in: localZone)
            time = date(year: year, month: month + 1, day: day, clock: clock, zone: localZone)
        } else if first.count >= 19, first.dropFirst(4).first == "-", first.dropFirst(10).first == "T" {
            time = LogTimestamp.parse(first, localZone: localZone)
        } else {
            return nil
        }
        guard token() != nil, let ident = token(), ident.hasSuffix(":") else { return nil }
        var identifier = ident.dropLast()
        if identifier.last == "]", let open = identifier.firstIndex(of: "[") { identifier = identifier[..<open] }
        guard !identifier.isEmpty else { return nil }
        let content = rest.first == " " ? rest.dropFirst() : rest
        return (content, identifier, time)
    }

    static func date(year: Int, month: Int, day: Int, clock: Substring, zone: TimeZone) -> Date? {
        let parts = clock.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return LogTimestamp.date(year, month, day, parts[0], parts[1], parts[2], zone: zone)
    }
}
