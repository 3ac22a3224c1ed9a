import Foundation

// In its own file: Foundation's `Host` would make HostOptions.swift's `any Host` ambiguous.
extension HostOptions {
    /// Relative to where gwdoctor was started: a snapshot replayed elsewhere needs absolute paths.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
