import DoctorFacts
import Yams

/// Reading Yams nodes the way a compose file uses them, keeping line numbers (`Node.Mark`),
/// which Decodable would lose.
enum ComposeYAMLNode {
    /// A mapping's entries with `<<` merge keys applied (explicit keys win over merged ones,
    /// earlier merged mappings over later ones, as YAML's merge spec says). Keys that are not
    /// scalars are skipped: compose keys are always strings.
    static func entries(_ node: Node?) -> [(key: String, keyNode: Node, value: Node)] {
        guard let mapping = node?.mapping else { return [] }
        var explicit: [(key: String, keyNode: Node, value: Node)] = []
        var merged: [(key: String, keyNode: Node, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { continue }
            if name == "<<" {
                let sources: [Node] = value.sequence.map { Array($0) } ?? [value]
                for source in sources {
                    for entry in entries(source) where !merged.contains(where: { $0.key == entry.key }) {
                        merged.append(entry)
                    }
                }
            } else {
                explicit.append((name, key, value))
            }
        }
        return explicit + merged.filter { entry in !explicit.contains { $0.key == entry.key } }
    }

    static func value(_ node: Node?, _ key: String) -> Node? {
        entries(node).first { $0.key == key }?.value
    }

    /// A scalar's text (numbers and booleans as written); `nil` for a mapping, a sequence or `null`.
    static func string(_ node: Node?) -> String? {
        guard let scalar = node?.scalar else { return nil }
        if scalar.style == .plain && ["~", "null", "Null", "NULL", ""].contains(scalar.string) {
            return nil
        }
        return scalar.string
    }

    static func bool(_ node: Node?) -> Bool? {
        guard let text = string(node)?.lowercased() else { return nil }
        switch text {
        case "true", "yes", "on", "y": return true
        case "false", "no", "off", "n": return false
        default: return nil
        }
    }

    /// A list of scalars; a single scalar counts as a one-item list (compose accepts both in many fields).
    static func strings(_ node: Node?) -> [String] {
        if let sequence = node?.sequence { return sequence.compactMap { string($0) } }
        return string(node).map { [$0] } ?? []
    }

    static func line(_ node: Node?) -> Int {
        node?.mark?.line ?? 0
    }
}
