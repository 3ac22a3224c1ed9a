import Foundation
import DoctorFacts

/// The app server a service's `command`/`entrypoint` starts, read with the same command-line
/// parsers as host processes (`AppServerCommandLine`), so a container's gunicorn bind means
/// what a host gunicorn's does (no `-b` is gunicorn's own default, `127.0.0.1:8000`).
public enum ComposeCommand {
    /// Tries, in order: `command` alone (an image whose entrypoint execs `"$@"`),
    /// `entrypoint` + `command` (what Docker runs), `entrypoint` alone; a shell wrapper
    /// (`sh -c "python manage.py migrate && gunicorn …"`) is opened with the startup-script
    /// reader. `nil` when none of them starts a known app server.
    public static func appServer(command: [String]?, entrypoint: [String]?) -> ParsedAppServer? {
        var candidates: [[String]] = []
        if let command, !command.isEmpty { candidates.append(command) }
        if let entrypoint, !entrypoint.isEmpty {
            candidates.append(entrypoint + (command ?? []))
            candidates.append(entrypoint)
        }
        for argv in candidates {
            if let parsed = AppServerCommandLine.parse(argv) { return parsed }
            let line = argv.map(quote).joined(separator: " ")
            for started in StartupScriptCommands.commandLine(line, source: "compose command", schedule: "compose") {
                if let parsed = AppServerCommandLine.parse(started.argv, workingDirectory: started.workingDirectory) {
                    return parsed
                }
            }
        }
        return nil
    }

    private static func quote(_ word: String) -> String {
        guard word.contains(where: { " \t\n'\"\\$&|;<>()".contains($0) }) || word.isEmpty else { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
