/// A growable stack in raw memory whose top runs are *moved* out into exact-size arrays.
///
/// The parser gathers a block's children and a directive's arguments here: each block
/// then costs one allocation of the right size, instead of an array regrown by doubling
/// (with a copy, a free and a metadata lookup at every step), and elements are moved,
/// not retained and released.
struct NginxScratchStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    mutating func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    mutating func push(contentsOf elements: [Element]) {
        for element in elements { push(element) }
    }

    /// The elements from `start` to the top, as a new array; they leave the stack.
    mutating func popArray(from start: Int) -> [Element] {
        let moved = count - start
        guard moved > 0 else { return [] }
        let source = base + start
        let array = [Element](unsafeUninitializedCapacity: moved) { buffer, initialized in
            guard let target = buffer.baseAddress else { return }
            target.moveInitialize(from: source, count: moved)
            initialized = moved
        }
        count = start
        return array
    }

    /// Drops the elements from `start` to the top.
    mutating func removeAll(from start: Int) {
        guard count > start else { return }
        (base + start).deinitialize(count: count - start)
        count = start
    }

    private mutating func grow() {
        let larger = capacity * 2
        let moved = UnsafeMutablePointer<Element>.allocate(capacity: larger)
        moved.moveInitialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }
}
