import Foundation
import ModelFormat
import OracleCore
import Synchronization

/// Models by name from the models directory, with recently used ones kept in memory up to a budget so that
/// switching between pieces is instant (least recently used evicted first).
final class ModelLibrary: Sendable {
    private struct Entry: Sendable {
        var model: MusicHalModel
        var bytes: Int
        var lastUse: UInt64
    }

    let store: ModelDirectory
    private let budgetBytes: Int
    private let cache = Mutex<(entries: [String: Entry], clock: UInt64)>(([:], 0))

    init(store: ModelDirectory, budgetBytes: Int = 512 << 20) {
        self.store = store
        self.budgetBytes = budgetBytes
    }

    /// Names in the models directory.
    func names() throws -> [String] { try store.modelNames() }

    /// The model called `name`, from memory or disk (then cached). Throws a clear error naming it.
    func model(named name: String) throws -> MusicHalModel {
        _ = try ModelName.validated(name)
        if let cached = touch(name) { return cached }
        let model = try store.loadModel(named: name)
        insert(model, named: name)
        return model
    }

    /// Loads `name` into the cache without using it.
    func preload(_ name: String) throws { _ = try model(named: name) }

    /// Names currently held in memory.
    var cachedNames: [String] { cache.withLock { Array($0.entries.keys).sorted() } }

    private func touch(_ name: String) -> MusicHalModel? {
        cache.withLock { cache in
            guard var entry = cache.entries[name] else { return nil }
            cache.clock += 1
            entry.lastUse = cache.clock
            cache.entries[name] = entry
            return entry.model
        }
    }

    private func insert(_ model: MusicHalModel, named name: String) {
        // Size estimate: features and oracle arrays dominate.
        let bytes = model.events.count * (model.oracle.dimension * 12 + 160)
        cache.withLock { cache in
            cache.clock += 1
            cache.entries[name] = Entry(model: model, bytes: bytes, lastUse: cache.clock)
            var total = cache.entries.values.reduce(0) { $0 + $1.bytes }
            while total > budgetBytes, cache.entries.count > 1,
                let oldest = cache.entries.filter({ $0.key != name }).min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                total -= oldest.value.bytes
                cache.entries.removeValue(forKey: oldest.key)
            }
        }
    }
}
