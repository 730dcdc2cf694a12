import Foundation
import Improviser
import Synchronization

/// Status-stream subscribers with leases (conventions §3 rule 5): `/hal/notify 1` subscribes for 60 s, renewed
/// by sending it again; at most eight at once; interval clamped to 50-5000 ms.
final class Subscriptions: Sendable {
    struct Subscriber: Sendable {
        var id: Int32
        var peer: ControlPeer
        var intervalMilliseconds: Int
        var expires: Date
        var nextSend: Date
    }

    static let leaseSeconds = 60
    static let capacity = 8
    private let state = Mutex<(subscribers: [Subscriber], nextID: Int32)>(([], 1))

    /// Subscribes or renews; returns the client id, or nil when the table is full.
    func subscribe(_ peer: ControlPeer, intervalMilliseconds: Int, now: Date = Date()) -> Int32? {
        let interval = max(50, min(5000, intervalMilliseconds))
        return state.withLock { state in
            state.subscribers.removeAll { $0.expires <= now }
            if let index = state.subscribers.firstIndex(where: { $0.peer == peer }) {
                state.subscribers[index].expires = now.addingTimeInterval(Double(Self.leaseSeconds))
                state.subscribers[index].intervalMilliseconds = interval
                return state.subscribers[index].id
            }
            guard state.subscribers.count < Self.capacity else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers.append(
                Subscriber(
                    id: id, peer: peer, intervalMilliseconds: interval,
                    expires: now.addingTimeInterval(Double(Self.leaseSeconds)), nextSend: now))
            return id
        }
    }

    /// Ends a subscription.
    func unsubscribe(_ peer: ControlPeer) {
        state.withLock { $0.subscribers.removeAll { $0.peer == peer } }
    }

    /// Subscribers due a status bundle now (their next time is advanced); expired leases are dropped.
    func due(now: Date = Date()) -> [ControlPeer] {
        state.withLock { state in
            state.subscribers.removeAll { $0.expires <= now }
            var peers: [ControlPeer] = []
            for index in state.subscribers.indices where state.subscribers[index].nextSend <= now {
                peers.append(state.subscribers[index].peer)
                state.subscribers[index].nextSend = now.addingTimeInterval(
                    Double(state.subscribers[index].intervalMilliseconds) / 1000)
            }
            return peers
        }
    }

    /// Every current subscriber (for echoes of parameter changes).
    func all(now: Date = Date()) -> [ControlPeer] {
        state.withLock { state in
            state.subscribers.removeAll { $0.expires <= now }
            return state.subscribers.map(\.peer)
        }
    }

    /// Number of current subscribers.
    var count: Int { state.withLock { $0.subscribers.count } }
}
