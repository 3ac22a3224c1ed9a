import DoctorFacts

/// What a compose file's `${VAR}` can be resolved from: the project's `.env` file, no such file
/// (defaults written in the text apply, nothing else is set), or a `.env` that exists but could
/// not be read (nothing is known, not even whether a default applies).
public enum ComposeVariables: Sendable {
    case none
    case file(ComposeEnvFile)
    case unreadable(String)

    /// The value of a variable and its `.env` line.
    func lookup(_ name: String) -> (value: String, line: Int)? {
        guard case let .file(file) = self, let entry = file.entry(name) else { return nil }
        return (entry.value, entry.line)
    }

    var envFilePath: String? {
        if case let .file(file) = self { return file.path }
        return nil
    }

    /// Interpolates one field's text; the reason it cannot be resolved otherwise.
    func interpolate(_ text: String) -> Result<(String, [ComposeVariableUse]), InterpolationFailure> {
        switch ComposeInterpolator.interpolate(text, lookup: lookup) {
        case let .resolved(value, uses):
            if case let .unreadable(reason) = self, !uses.isEmpty {
                return .failure(InterpolationFailure(reason: "the project's .env could not be read (\(reason))"))
            }
            return .success((value, uses))
        case let .unresolved(missing):
            if case let .unreadable(reason) = self {
                return .failure(InterpolationFailure(reason: "the project's .env could not be read (\(reason))"))
            }
            let names = missing.joined(separator: ", ")
            let place = envFilePath == nil ? "there is no .env file" : "it is not set in .env"
            return .failure(InterpolationFailure(reason: "\(names) has no default and \(place) (Compose would take it from the shell that ran it, which gwdoctor cannot see)"))
        case let .invalid(message):
            return .failure(InterpolationFailure(reason: "invalid interpolation: \(message)"))
        }
    }
}

/// Why a compose field's variables could not be resolved.
struct InterpolationFailure: Error {
    var reason: String
}
