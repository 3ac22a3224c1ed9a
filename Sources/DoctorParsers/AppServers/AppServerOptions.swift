/// Command-line words read the way argparse, click and getopt_long read them:
/// `--name value`, `--name=value`, `-x value`, `-xvalue`, and `--` ending the options.
///
/// Only options listed as taking a value consume the next word; any other `-…` word is
/// taken as a flag. Listing the value-taking options a server has (even ones nobody
/// reads) keeps their values from being mistaken for positionals or options.
struct AppServerOptions {
    enum Item: Equatable {
        /// `name` is the canonical name from the spec, or the word itself when unknown.
        case option(name: String, value: String?)
        case positional(String)
    }

    /// Spellings that take a value (`-b`, `--bind`), each mapped to a canonical name;
    /// options only listed so their value is skipped map to `""`.
    let valued: [String: String]

    init(_ groups: [String: String]...) {
        var valued: [String: String] = [:]
        for group in groups { valued.merge(group) { first, _ in first } }
        self.valued = valued
    }

    /// Spellings that all mean one option, e.g. `spellings("bind", "-b", "--bind")`.
    static func spellings(_ name: String, _ words: String...) -> [String: String] {
        Dictionary(words.map { ($0, name) }, uniquingKeysWith: { first, _ in first })
    }

    /// Options whose values are skipped, never read.
    static func skipped(_ words: String...) -> [String: String] {
        Dictionary(words.map { ($0, "") }, uniquingKeysWith: { first, _ in first })
    }

    func scan(_ words: ArraySlice<String>) -> [Item] {
        var items: [Item] = []
        var index = words.startIndex
        var optionsEnded = false
        while index < words.endIndex {
            let word = words[index]
            index += 1
            if optionsEnded || word == "-" || !word.hasPrefix("-") {
                items.append(.positional(word))
                continue
            }
            if word == "--" {
                optionsEnded = true
                continue
            }
            if word.hasPrefix("--") {
                if let equals = word.firstIndex(of: "=") {
                    let name = String(word[..<equals])
                    items.append(.option(name: valued[name] ?? name, value: String(word[word.index(after: equals)...])))
                } else if let name = valued[word] {
                    let value = index < words.endIndex ? words[index] : nil
                    if value != nil { index += 1 }
                    items.append(.option(name: name, value: value))
                } else {
                    items.append(.option(name: word, value: nil))
                }
                continue
            }
            // `-b ADDR` or `-bADDR`; clusters of flags (`-Db ADDR`) are not unpicked.
            let flag = String(word.prefix(2))
            if let name = valued[flag] {
                if word.count > 2 {
                    items.append(.option(name: name, value: String(word.dropFirst(2))))
                } else {
                    let value = index < words.endIndex ? words[index] : nil
                    if value != nil { index += 1 }
                    items.append(.option(name: name, value: value))
                }
            } else {
                items.append(.option(name: word, value: nil))
            }
        }
        return items
    }
}

extension [AppServerOptions.Item] {
    /// Every value given for `name`, in order (repeatable options like `--bind`).
    func values(_ name: String) -> [String] {
        compactMap {
            if case let .option(optionName, value) = $0, optionName == name { return value }
            return nil
        }
    }

    /// The value that counts for a single-valued option: the last one, as argparse and click keep it.
    func last(_ name: String) -> String? {
        values(name).last
    }

    /// Whether a flag (or an option) appears at all.
    func has(_ name: String) -> Bool {
        contains {
            if case let .option(optionName, _) = $0 { return optionName == name }
            return false
        }
    }

    var positionals: [String] {
        compactMap {
            if case let .positional(word) = $0 { return word }
            return nil
        }
    }
}
