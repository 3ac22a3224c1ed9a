import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `gwdoctor watch` in the lab: started in the background inside the namespace (as root, with
/// the lab's PATH, like `runDoctor`), stopped with a signal, its metrics fetched by a real HTTP
/// client running in the namespace (the lab's Python `urllib`).
extension Lab {
    /// Starts `gwdoctor watch --nginx-conf <lab nginx.conf> ARGUMENTS` as a tracked process
    /// (`logs/watch.stdout`, `logs/watch.stderr`); nsenter execs it, so its pid is gwdoctor's.
    public func startWatch(_ arguments: [String]) throws -> LabProcess {
        let doctor = try Lab.doctorExecutable()
        return try startProcess(name: "watch", [doctor, "watch", "--nginx-conf", nginxConfigPath] + arguments,
                                environment: doctorEnvironment)
    }

    /// Sends `signal` to watch only (not its group) and waits up to `timeout`; returns how it
    /// ended (`exited with code 0`), or `nil` when it did not end in time.
    public func stopWatch(_ process: LabProcess, signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async throws -> String? {
        let ended = try await stop(process, signal: signal, group: false, timeout: timeout)
        return ended ? exitStatus(of: process) : nil
    }

    /// `GET http://ADDRESS/PATH` with Python's `urllib` inside the namespace: the status line's
    /// code and the body (an HTTP error status is returned, not thrown).
    public func fetch(_ url: String, timeout: Duration = .seconds(15)) async throws -> (status: Int, body: String) {
        let script = """
            import sys, urllib.request, urllib.error
            try:
                r = urllib.request.urlopen(sys.argv[1], timeout=5)
                code, body = r.status, r.read()
            except urllib.error.HTTPError as e:
                code, body = e.code, e.read()
            sys.stdout.write("%d\\n" % code)
            sys.stdout.write(body.decode("utf-8", "replace"))
            """
        let output = try await runInNamespace([python, "-c", script, url], timeout: timeout)
        guard output.exitCode == 0, let newline = output.stdout.firstIndex(of: "\n"),
              let status = Int(output.stdout[..<newline]) else {
            throw LabError.io("GET \(url) failed:\n\(output)")
        }
        return (status, String(output.stdout[output.stdout.index(after: newline)...]))
    }
}

/// A sample of the Prometheus text format, parsed back (what a scraper would see).
public struct PrometheusSample: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var value: Double
}

/// A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line is a
/// `# HELP`/`# TYPE` comment or `name{label="value",…} number`; anything else is an error, so a
/// rendering mistake fails the test instead of being skipped.
public enum PrometheusText {
    public struct ParseError: Error, CustomStringConvertible {
        public var line: String
        public var description: String { "not Prometheus text: \(line)" }
    }

    public static func parse(_ text: String) throws -> [PrometheusSample] {
        var samples: [PrometheusSample] = []
        var typed = Set<String>()
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ")
                guard words.count == 4, ["gauge", "counter", "untyped", "histogram", "summary"].contains(String(words[3])),
                      typed.insert(String(words[2])).inserted else { throw ParseError(line: line) }
                continue
            }
            guard !line.hasPrefix("#") else { throw ParseError(line: line) }
            var index = line.startIndex
            while index < line.endIndex, line[index].isLetter || line[index].isNumber || line[index] == "_" || line[index] == ":" { index = line.index(after: index) }
            let name = String(line[..<index])
            guard !name.isEmpty, typed.contains(name) else { throw ParseError(line: line) }
            var labels: [String: String] = [:]
            if index < line.endIndex, line[index] == "{" {
                index = line.index(after: index)
                while index < line.endIndex, line[index] != "}" {
                    guard let equals = line[index...].firstIndex(of: "=") else { throw ParseError(line: line) }
                    let key = String(line[index..<equals])
                    index = line.index(after: equals)
                    guard index < line.endIndex, line[index] == "\"" else { throw ParseError(line: line) }
                    index = line.index(after: index)
                    var value = ""
                    while index < line.endIndex, line[index] != "\"" {
                        if line[index] == "\\" {
                            index = line.index(after: index)
                            guard index < line.endIndex else { throw ParseError(line: line) }
                            switch line[index] {
                            case "n": value.append("\n")
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            default: throw ParseError(line: line)
                            }
                        } else {
                            value.append(line[index])
                        }
                        index = line.index(after: index)
                    }
                    guard index < line.endIndex else { throw ParseError(line: line) }
                    index = line.index(after: index)
                    labels[key] = value
                    if index < line.endIndex, line[index] == "," { index = line.index(after: index) }
                }
                guard index < line.endIndex else { throw ParseError(line: line) }
                index = line.index(after: index)
            }
            guard index < line.endIndex, line[index] == " ", let value = Double(line[line.index(after: index)...]) else {
                throw ParseError(line: line)
            }
            samples.append(PrometheusSample(name: name, labels: labels, value: value))
        }
        return samples
    }
}
