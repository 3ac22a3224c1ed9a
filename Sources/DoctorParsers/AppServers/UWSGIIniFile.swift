import DoctorFacts

/// The sockets and `harakiri` of one section of a uWSGI ini file, read the way uWSGI's
/// ini loader (core/ini.c) reads it: `key = value` per line, whitespace trimmed, `;` or
/// `#` starting a comment line only, no quoting, repeated socket keys all bound.
///
/// Placeholders are expanded where the file alone settles them: `%d` (the file's
/// directory, with a trailing `/`), `%p`, `%s`, `%n`, `%e`, `%c`, `%%`, and `%(key)` for a
/// key set earlier in the section. A value still holding one (`$(ENV)`, an unknown
/// `%(key)`) keeps its text as `raw` with no endpoint. `ini =` includes are not followed.
public enum UWSGIIniFile {
    /// Socket keys and the protocol each speaks; `nil` is the section's `protocol` (default uwsgi).
    static let socketKeys: [String: String?] = [
        "socket": nil, "uwsgi-socket": "uwsgi", "http-socket": "http", "http11-socket": "http",
        "fastcgi-socket": "fastcgi", "scgi-socket": "scgi", "http": "http", "https": "https",
    ]

    /// The binds (source `file:line`) and harakiri timeout of `section`.
    ///
    /// - Parameters:
    ///   - file: the file's path, for sources and for `%d`-style placeholders.
    ///   - workingDirectory: where uWSGI runs (its `chdir`), for relative socket paths.
    ///   - placeholders: `%(name)` values known from elsewhere, e.g. `debianPlaceholders(forConfig:)`.
    public static func binds(_ text: String, file: String, section: String = "uwsgi", workingDirectory: String? = nil,
                             placeholders: [String: String] = [:]) -> (binds: [AppServerBind], timeoutSeconds: Int?) {
        let (entries, values) = assignments(text, file: file, section: section, placeholders: placeholders)
        var sockets: [Assignment] = []
        var harakiri: Int?
        for entry in entries {
            if socketKeys[entry.key] != nil {
                sockets.append(entry)
            } else if entry.key == "harakiri" {
                harakiri = Int(entry.value)
            }
        }
        let defaultProtocol = values["protocol"] ?? "uwsgi"
        let binds = sockets.map { socket -> AppServerBind in
            let source = "\(file):\(socket.line)"
            let protocolName = (socketKeys[socket.key] ?? nil) ?? defaultProtocol
            guard !socket.value.contains("%("), !socket.value.contains("$(") else {
                return AppServerBind(endpoint: nil, raw: socket.value, source: source, protocolName: protocolName)
            }
            let address = socket.key == "https" ? String(socket.value.prefix { $0 != "," }) : socket.value
            let reading = AppServerAddress.uwsgi(address, directory: workingDirectory)
            return AppServerBind(endpoint: reading.endpoint, raw: socket.value, source: source, protocolName: protocolName)
        }
        return (binds, harakiri)
    }

    /// One `key = value` line of a section, its value expanded with what the lines before it settled.
    public struct Assignment: Sendable, Equatable {
        /// As written: `http_socket` is not `http-socket` to uWSGI (observed: it fails with
        /// "the -s/--socket option is missing").
        public var key: String
        public var value: String
        public var line: Int
    }

    /// Every assignment of `section` in file order, and the values in force at its end.
    /// A line without `=` is a flag (`master`) with an empty value.
    public static func assignments(_ text: String, file: String, section: String,
                                   placeholders: [String: String] = [:]) -> (entries: [Assignment], values: [String: String]) {
        var currentSection = ""
        var values = placeholders
        var entries: [Assignment] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = AppServerText.trim(rawLine)
            guard let first = line.first, first != ";", first != "#" else { continue }
            if first == "[" {
                // uWSGI takes everything after `[` but the line's last character as the name.
                currentSection = String(line.dropFirst().dropLast())
                continue
            }
            guard currentSection == section else { continue }
            let equals = line.firstIndex(of: "=") ?? line.endIndex
            let key = String(AppServerText.trim(line[..<equals]))
            let value = equals < line.endIndex ? String(AppServerText.trim(line[line.index(after: equals)...])) : ""
            let expanded = expand(value, file: file, values: values)
            values[key] = expanded
            entries.append(Assignment(key: key, value: expanded, line: offset + 1))
        }
        return (entries, values)
    }

    /// What Debian's uWSGI init script passes in the environment for one app's ini file:
    /// `/etc/uwsgi/apps-enabled/site.ini` gives `deb-confnamespace` `app` and `deb-confname`
    /// `site`, which its `/usr/share/uwsgi/conf/default.ini` uses for the socket
    /// (`/run/uwsgi/%(deb-confnamespace)/%(deb-confname)/socket`). Empty for other layouts.
    public static func debianPlaceholders(forConfig path: String) -> [String: String] {
        let directory = AppServerPath.basename(AppServerPath.directory(of: path))
        guard directory.hasSuffix("s-enabled"), directory.count > 9 else { return [:] }
        let fileName = AppServerPath.basename(path)
        let name = fileName.lastIndex(of: ".").map { fileName[..<$0] } ?? fileName
        return ["deb-confnamespace": String(directory.dropLast(9)), "deb-confname": String(name)]
    }

    /// Expands the placeholders the file itself settles; others are left as written.
    static func expand(_ value: String, file: String, values: [String: String]) -> String {
        guard value.contains("%") else { return value }
        let directory = AppServerPath.directory(of: file)
        let fileName = String(AppServerPath.basename(file))
        let dot = fileName.lastIndex(of: ".")
        let name = dot.map { String(fileName[..<$0]) } ?? fileName
        let fileExtension = dot.map { String(fileName[$0...]) } ?? ""
        var result = ""
        var index = value.startIndex
        while index < value.endIndex {
            let character = value[index]
            let next = value.index(after: index)
            guard character == "%", next < value.endIndex else {
                result.append(character)
                index = next
                continue
            }
            let code = value[next]
            var consumedTo = value.index(after: next)
            switch code {
            case "d": result += directory.isEmpty ? "" : directory.hasSuffix("/") ? directory : directory + "/"
            case "p": result += file
            case "s": result += fileName
            case "n": result += name
            case "e": result += fileExtension
            case "c": result += String(AppServerPath.basename(directory))
            case "%": result += "%"
            case "(":
                if let close = value[next...].firstIndex(of: ")"), let known = values[String(value[value.index(after: next)..<close])] {
                    result += known
                    consumedTo = value.index(after: close)
                } else {
                    result.append(character)
                    consumedTo = next
                }
            default:
                result.append(character)
                consumedTo = next
            }
            index = consumedTo
        }
        return result
    }
}
