import DoctorFacts

/// A Node.js server: where it listens is up to the script, so only a port written in argv
/// is believed (`--port 3000`, `--port=3000`, `PORT=3000`).
enum NodeCommandLine {
    static func parse(_ arguments: ArraySlice<String>) -> ParsedAppServer {
        var result = ParsedAppServer(kind: "node")
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let word = arguments[index]
            index += 1
            var raw: String?
            var portText: Substring?
            if word == "--port", index < arguments.endIndex {
                portText = Substring(arguments[index])
                raw = "--port \(arguments[index])"
                index += 1
            } else if word.hasPrefix("--port=") {
                portText = word.dropFirst(7)
                raw = word
            } else if word.hasPrefix("PORT=") {
                portText = word.dropFirst(5)
                raw = word
            }
            guard let raw, let portText, let port = AppServerAddress.port(portText) else { continue }
            // `listen(port)` without a host binds `::`, every address of both families.
            result.binds = [AppServerBind(endpoint: .tcp(host: "::", port: port), raw: raw, source: AppServerCommandLine.source)]
        }
        if !result.binds.isEmpty {
            result.notes.append("node: the port is from argv; the host is the script's choice (`::`, every address, unless it passes one)")
        }
        return result
    }
}
