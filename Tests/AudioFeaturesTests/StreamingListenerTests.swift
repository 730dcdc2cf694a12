import AudioFeatures
import MusicHalCore
import TestSignals
import Testing

@Suite("Streaming listener")
struct StreamingListenerTests {
    @Test("a scale is heard note for note with the right pitches", arguments: [44_100.0, 48_000.0])
    func scale(sampleRate: Double) throws {
        let samples = SyntheticMelody.render(SyntheticMelody.scale, sampleRate: sampleRate)
        let (events, _, _) = try listen(samples, sampleRate: sampleRate)
        let result = score(events, against: SyntheticMelody.scale, sampleRate: sampleRate)
        #expect(result.f1 >= 0.99)
        #expect(result.pitchAccuracy >= 0.99)
        #expect(abs(result.meanError) < 0.02)
    }

    @Test("random melodies: onset F1 >= 0.95 and pitch accuracy >= 0.97", arguments: [1, 2, 3] as [UInt64])
    func randomMelodies(seed: UInt64) throws {
        let sampleRate = 48_000.0
        let notes = SyntheticMelody.randomMelody(count: 60, seed: seed)
        let (events, _, _) = try listen(SyntheticMelody.render(notes, sampleRate: sampleRate), sampleRate: sampleRate)
        let result = score(events, against: notes, sampleRate: sampleRate)
        #expect(result.f1 >= 0.95, "onset F1 \(result.f1)")
        #expect(result.pitchAccuracy >= 0.97, "pitch accuracy \(result.pitchAccuracy)")
    }

    @Test("a glide to a new pitch without an attack (legato) starts a new event within the glide, with its pitch")
    func legatoChange() throws {
        let sampleRate = 48_000.0
        // 80 ms glides: too gradual for spectral flux (with legato splits off the whole line is one event).
        let samples = SyntheticMelody.legato([(0.4, 69), (0.4, 72), (0.4, 67)], sampleRate: sampleRate)
        let events = try listen(samples, sampleRate: sampleRate).events
        #expect(events.map { $0.midiNote } == [69, 72, 67])
        let onsets = events.map { Double($0.onsetFrame) / sampleRate }
        #expect(
            onsets.count == 3 && (0.38...0.50).contains(onsets[1]) && (0.78...0.90).contains(onsets[2]), "\(onsets)")

        var off = ListenerSettings()
        off.legatoSemitones = 0
        #expect(try listen(samples, sampleRate: sampleRate, settings: off).events.count == 1)
    }

    @Test("a run of 100 ms legato notes: one event per note, each with its own pitch")
    func shortLegatoNotes() throws {
        let sampleRate = 48_000.0
        let line: [(seconds: Double, midi: Double)] = [
            (0.3, 69), (0.1, 72), (0.1, 76), (0.1, 74), (0.1, 77), (0.3, 71),
        ]
        let samples = SyntheticMelody.legato(line, sampleRate: sampleRate, glide: 0.03)
        let events = try listen(samples, sampleRate: sampleRate).events
        #expect(events.map { $0.midiNote } == [69, 72, 76, 74, 77, 71])
    }

    @Test("a legato change in the first moments of a stream is found; its search stops at the stream's start")
    func legatoAtStreamStart() throws {
        // The change is confirmed 140 ms into the stream, while the search for its spectral change looks back 160 ms.
        let sampleRate = 48_000.0
        let samples = SyntheticMelody.legato([(0.02, 69), (0.5, 76)], sampleRate: sampleRate, glide: 0.05)
        let events = try listen(samples, sampleRate: sampleRate).events
        #expect(events.last?.midiNote == 76, "\(events.map { (Double($0.onsetFrame) / sampleRate, $0.midiPitch) })")
        #expect(events.count == 2)
    }

    @Test("the click of a tone cut off is not an onset, and the next note's pitch is its own")
    func noteEndIsNoOnset() throws {
        let sampleRate = 48_000.0
        // A note cut off abruptly at 0.3 s (a broadband click), 30 ms of quiet, then a slow-attack note a fifth down.
        var samples = SyntheticMelody.legato([(0.3, 74)], sampleRate: sampleRate)
        samples += [Float](repeating: 0, count: Int(0.03 * sampleRate))
        samples += SyntheticMelody.legato([(0.5, 67)], sampleRate: sampleRate, fadeIn: 0.08)
        let events = try listen(samples, sampleRate: sampleRate).events
        #expect(
            events.map { $0.midiNote } == [74, 67], "events at \(events.map { Double($0.onsetFrame) / sampleRate })")
    }

    @Test("a quiet tongued line with slow attacks: every note, repeated pitches too, starts where its dip ends")
    func slowAttacks() throws {
        let sampleRate = 48_000.0
        let line: [(seconds: Double, midi: Double)] = [
            (0.4, 67), (0.4, 67), (0.25, 72), (0.25, 74), (0.25, 72), (0.25, 71), (0.4, 67), (0.4, 67), (0.5, 69),
        ]
        let samples = SyntheticMelody.tongued(line, sampleRate: sampleRate)
        var starts: [Double] = []
        var time = 0.0
        for note in line {
            starts.append(time)
            time += note.seconds
        }
        let truth = zip(starts, line).map { SyntheticNote(onset: $0, duration: $1.seconds, midi: Int($1.midi)) }
        let events = try listen(samples, sampleRate: sampleRate).events
        let result = score(events, against: truth, sampleRate: sampleRate, tolerance: 0.03)
        #expect(result.f1 == 1, "onsets \(events.map { Double($0.onsetFrame) / sampleRate })")
        #expect(result.pitchAccuracy == 1)
        #expect(abs(result.meanError) < 0.008, "mean onset error \(result.meanError) s")

        // The repeated pitches differ only by their dips: their flux peaks stay under the threshold's absolute part
        // unless the level's rise vouches for them.
        var unvouched = ListenerSettings()
        unvouched.vouchingRiseDB = .infinity
        let missed = score(
            try listen(samples, sampleRate: sampleRate, settings: unvouched).events, against: truth,
            sampleRate: sampleRate, tolerance: 0.03)
        #expect(missed.f1 < 0.9, "unvouched F1 \(missed.f1)")
        // Placed at the flux peak instead of the trough's end, every attack is heard late.
        var peaks = ListenerSettings()
        peaks.backtrackRiseDB = .infinity
        let late = score(
            try listen(samples, sampleRate: sampleRate, settings: peaks).events, against: truth,
            sampleRate: sampleRate, tolerance: 0.03)
        #expect(late.meanError > 0.01, "mean onset error at the flux peaks \(late.meanError) s")
    }

    @Test(
        "a scooped note that begins over the previous one still ringing is one event at its own pitch",
        arguments: [(69.0, 74.0), (72.0, 71.0), (64.0, 67.0), (76.0, 72.0), (57.0, 64.0)])
    func noteOverRingingNote(previous: Double, next: Double) throws {
        // The first pitch estimates after the onset hear the previous note and the scoop: the pitch they settle on
        // later is the same note, not a new one.
        let sampleRate = 48_000.0
        let change = 0.5
        let samples = SyntheticMelody.scoopOverRinging(
            previous: previous, next: next, scoop: 1.5, change: change, length: 1.1, sampleRate: sampleRate)
        let events = try listen(samples, sampleRate: sampleRate).events
        let heard = events.map { (onset: Double($0.onsetFrame) / sampleRate, midi: $0.midiNote) }
        #expect(heard.count == 2, "events \(heard)")
        #expect(heard.map(\.midi) == [Int(previous), Int(next)], "events \(heard)")
        #expect(heard.count == 2 && abs(heard[1].onset - change) < 0.03, "events \(heard)")
    }

    @Test("repeated sung notes that begin with a blip between two dips: each note begins at the first dip")
    func blippedAttacks() throws {
        let sampleRate = 48_000.0
        let line: [(seconds: Double, midi: Double)] = [
            (0.5, 67), (0.4, 67), (0.4, 67), (0.4, 67), (0.4, 67), (0.4, 67), (0.6, 67),
        ]
        let samples = SyntheticMelody.blippedAttacks(line, sampleRate: sampleRate)
        var truth: [SyntheticNote] = []
        var time = 0.0
        for note in line {
            truth.append(SyntheticNote(onset: time, duration: note.seconds, midi: Int(note.midi)))
            time += note.seconds
        }
        let events = try listen(samples, sampleRate: sampleRate).events
        let result = score(events, against: truth, sampleRate: sampleRate, tolerance: 0.03)
        let heard = events.map { (Double($0.onsetFrame) / sampleRate, $0.midiNote) }
        #expect(result.f1 == 1, "events \(heard)")
        #expect(result.pitchAccuracy == 1, "events \(heard)")
        #expect(abs(result.meanError) < 0.015, "mean onset error \(result.meanError) s, events \(heard)")
    }

    @Test("fast repeated notes (14 per second, a tremolo or double tonguing) are each a note")
    func fastRepeatedNotes() throws {
        let sampleRate = 48_000.0
        let truth = (0..<10).map { SyntheticNote(onset: 0.2 + 0.07 * Double($0), duration: 0.05, midi: 69) }
        let events = try listen(SyntheticMelody.render(truth, sampleRate: sampleRate), sampleRate: sampleRate).events
        let result = score(events, against: truth, sampleRate: sampleRate, tolerance: 0.02)
        #expect(result.f1 == 1, "onsets \(events.map { Double($0.onsetFrame) / sampleRate })")
        #expect(result.pitchAccuracy == 1)
    }

    @Test("block size does not change what is heard (training and live see the same events)")
    func blockSizeInvariance() throws {
        let sampleRate = 48_000.0
        let samples = SyntheticMelody.render(SyntheticMelody.randomMelody(count: 20, seed: 9), sampleRate: sampleRate)
        let small = try listen(samples, sampleRate: sampleRate, blockSize: 64).events
        let large = try listen(samples, sampleRate: sampleRate, blockSize: 8192).events
        let odd = try listen(samples, sampleRate: sampleRate, blockSize: 333).events
        #expect(small == large)
        #expect(small == odd)
    }

    @Test("events carry the 22-dimensional feature vector with bounded values")
    func featureVectors() throws {
        let sampleRate = 48_000.0
        let (events, _, _) = try listen(
            SyntheticMelody.render(SyntheticMelody.scale, sampleRate: sampleRate), sampleRate: sampleRate)
        #expect(!events.isEmpty)
        for event in events {
            #expect(event.features.count == EventFeatureLayout.dimension)
            #expect(event.features.values.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 })
            let chroma = Array(event.features.values[EventFeatureLayout.chroma])
            if let note = event.midiNote {
                #expect(chroma.firstIndex(of: chroma.max()!) == note % 12)
            }
            #expect(event.velocity >= 1 && event.velocity <= 127)
            #expect(event.offsetFrame > event.onsetFrame)
        }
        #expect(EventFeatureLayout.names.count == EventFeatureLayout.dimension)
    }

    @Test("silence, DC offset and a single sample give no events")
    func nothingToHear() throws {
        let sampleRate = 44_100.0
        #expect(try listen([Float](repeating: 0, count: 44_100), sampleRate: sampleRate).events.isEmpty)
        #expect(try listen([Float](repeating: 0.4, count: 44_100), sampleRate: sampleRate).events.isEmpty)
        #expect(try listen([0.9], sampleRate: sampleRate).events.isEmpty)
    }

    @Test("NaN and infinite samples are replaced by silence and counted, without a crash")
    func nonFiniteSamples() throws {
        let sampleRate = 48_000.0
        var samples = SyntheticMelody.render(SyntheticMelody.scale, sampleRate: sampleRate)
        for i in stride(from: 1000, to: samples.count, by: 977) { samples[i] = i % 2 == 0 ? .nan : .infinity }
        let (events, _, listener) = try listen(samples, sampleRate: sampleRate)
        #expect(listener.nonFiniteSampleCount > 0)
        #expect(events.allSatisfy { $0.features.isFinite })
        #expect(events.count >= SyntheticMelody.scale.count - 1)
    }

    @Test("clipped input is still heard")
    func clipping() throws {
        let sampleRate = 48_000.0
        let clipped = SyntheticMelody.render(SyntheticMelody.scale, sampleRate: sampleRate).map {
            max(-0.2, min(0.2, $0 * 4))
        }
        let (events, _, _) = try listen(clipped, sampleRate: sampleRate)
        #expect(score(events, against: SyntheticMelody.scale, sampleRate: sampleRate).f1 >= 0.9)
    }

    @Test("a gap in the frame stamps closes the event and restarts listening")
    func discontinuity() throws {
        let sampleRate = 48_000.0
        let listener = try StreamingListener(sampleRate: sampleRate, fftProvider: ReferenceFFTProvider())
        let samples = SyntheticMelody.render(SyntheticMelody.scale, sampleRate: sampleRate)
        var outputs: [ListenerOutput] = []
        listener.process(
            AudioBlock(startFrame: 0, sampleRate: sampleRate, samples: Array(samples[0..<30_000])), into: &outputs)
        listener.process(
            AudioBlock(startFrame: 200_000, sampleRate: sampleRate, samples: Array(samples[30_000...])), into: &outputs)
        #expect(listener.discontinuityCount == 1)
        #expect(listener.currentFrame == 200_000 + FrameTime(samples.count - 30_000))
    }

    @Test("the onset window lasts about its 23 ms at every rate", arguments: [16_000.0, 44_100.0, 48_000.0, 96_000.0])
    func onsetWindow(sampleRate: Double) throws {
        let listener = try StreamingListener(sampleRate: sampleRate, fftProvider: ReferenceFFTProvider())
        let seconds = Double(listener.onsetWindowFrames) / sampleRate
        #expect(seconds >= 0.023 / 2.0.squareRoot() && seconds <= 0.023 * 2.0.squareRoot())
        if sampleRate == 44_100 || sampleRate == 48_000 { #expect(listener.onsetWindowFrames == 1024) }
    }

    @Test("sample rates outside 8-192 kHz are refused")
    func sampleRates() {
        #expect(throws: AudioFeaturesError.unsupportedSampleRate(4000)) {
            try StreamingListener(sampleRate: 4000, fftProvider: ReferenceFFTProvider())
        }
        #expect(throws: AudioFeaturesError.self) {
            try StreamingListener(sampleRate: .nan, fftProvider: ReferenceFFTProvider())
        }
    }
}
