import CJACK
import Synchronization

/// Carries libjack's error and info messages from whichever thread prints them (possibly a real-time one) to a
/// thread that may log. A bounded lock-free multi-producer/multi-consumer queue of fixed-size text slots
/// (Dmitry Vyukov's bounded queue): posting never allocates, locks or waits; when full, messages are dropped.
final class JACKMessageRelay: Sendable {
    /// Which libjack printer produced a message.
    enum Kind: Sendable {
        case error
        case info
    }

    private final class Slot: @unchecked Sendable {
        // @unchecked: `text`, `length` and `kind` belong to whoever moved `sequence` to claim the slot; the
        // release store that publishes the slot orders those writes before the next owner's reads.
        let sequence: Atomic<Int>
        let text: UnsafeMutablePointer<CChar>
        var length = 0
        var kind = Kind.error

        init(sequence: Int) {
            self.sequence = Atomic(sequence)
            text = .allocate(capacity: JACKMessageRelay.slotBytes)
        }

        deinit { text.deallocate() }
    }

    /// Longest message kept (longer ones are cut).
    static let slotBytes = 256

    private let slots: [Slot]
    private let mask: Int
    private let enqueuePosition = Atomic<Int>(0)
    private let dequeuePosition = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)

    init(capacity: Int) {
        var size = 1
        while size < capacity { size <<= 1 }
        slots = (0..<size).map { Slot(sequence: $0) }
        mask = size - 1
    }

    /// Messages dropped because the queue was full.
    var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// Copies `message` into a free slot, or drops it when none is free.
    func post(_ message: UnsafePointer<CChar>, kind: Kind) {
        var position = enqueuePosition.load(ordering: .relaxed)
        var slot: Slot
        while true {
            slot = slots[position & mask]
            let difference = slot.sequence.load(ordering: .acquiring) &- position
            if difference == 0 {
                let (exchanged, current) = enqueuePosition.compareExchange(
                    expected: position, desired: position &+ 1, ordering: .relaxed)
                if exchanged { break }
                position = current
            } else if difference < 0 {
                droppedCount.wrappingAdd(1, ordering: .relaxed)
                return
            } else {
                position = enqueuePosition.load(ordering: .relaxed)
            }
        }
        var length = 0
        while length < Self.slotBytes - 1 && message[length] != 0 {
            slot.text[length] = message[length]
            length += 1
        }
        slot.text[length] = 0
        slot.length = length
        slot.kind = kind
        slot.sequence.store(position &+ 1, ordering: .releasing)
    }

    /// Removes every waiting message, oldest first, handing each to `body`.
    func drain(_ body: (Kind, String) -> Void) {
        var position = dequeuePosition.load(ordering: .relaxed)
        while true {
            let slot = slots[position & mask]
            let difference = slot.sequence.load(ordering: .acquiring) &- (position &+ 1)
            if difference == 0 {
                let (exchanged, current) = dequeuePosition.compareExchange(
                    expected: position, desired: position &+ 1, ordering: .relaxed)
                if !exchanged {
                    position = current
                    continue
                }
                let text = String(cString: slot.text)
                let kind = slot.kind
                slot.sequence.store(position &+ mask &+ 1, ordering: .releasing)
                body(kind, text.hasSuffix("\n") ? String(text.dropLast()) : text)
                position &+= 1
            } else if difference < 0 {
                return
            } else {
                position = dequeuePosition.load(ordering: .relaxed)
            }
        }
    }
}

/// The process-wide relay libjack's printers feed (libjack has one error and one info function per process).
let jackMessageRelay = JACKMessageRelay(capacity: 64)

/// Replaces libjack's stderr printers with the relay, once per process, before the first client is opened.
let jackMessagePrintersInstalled: Bool = {
    jack_set_error_function { message in
        if let message { jackMessageRelay.post(message, kind: .error) }
    }
    jack_set_info_function { message in
        if let message { jackMessageRelay.post(message, kind: .info) }
    }
    return true
}()
