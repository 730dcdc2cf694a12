import Improviser
import MusicHalCore
import Testing

@Suite("Agent parameters")
struct AgentParametersTests {
    @Test("every descriptor has a default inside its range that matches the struct's default")
    func descriptorsMatchDefaults() throws {
        let defaults = AgentParameters()
        for descriptor in AgentParameters.descriptors {
            #expect(descriptor.minimum <= descriptor.defaultValue && descriptor.defaultValue <= descriptor.maximum)
            #expect(try defaults.value(of: descriptor.name) == descriptor.defaultValue, "\(descriptor.name)")
        }
        try defaults.checkConsistency()
    }

    @Test("out-of-range values are refused with a reason, not clamped")
    func outOfRange() throws {
        var parameters = AgentParameters()
        #expect(throws: ParameterError.outOfRange(name: "density", value: 1.5, minimum: 0, maximum: 1)) {
            try parameters.set("density", to: 1.5)
        }
        #expect(parameters.density == 0.5)
        #expect(throws: ParameterError.notANumber(name: "melody_low", value: "60.5")) {
            try parameters.set("melody_low", to: 60.5)
        }
        #expect(throws: ParameterError.unknownParameter("loudness")) { try parameters.set("loudness", to: 1) }
        #expect(throws: ParameterError.notANumber(name: "density", value: "lots")) {
            try parameters.set("density", text: "lots")
        }
        try parameters.set("density", text: "0.9")
        #expect(parameters.density == 0.9)
    }

    @Test("contradictory bounds are refused, but can be changed together")
    func consistency() throws {
        var parameters = AgentParameters()
        #expect(throws: ParameterError.self) { try parameters.set("melody_high", to: 50) }
        #expect(parameters.melodyHigh == 96)
        try parameters.set([(name: "melody_low", value: 30), (name: "melody_high", value: 50)])
        #expect(parameters.register(of: .melody) == 30...50)
        #expect(throws: ParameterError.self) {
            try parameters.set([(name: "velocity_low", value: 100), (name: "velocity_high", value: 20)])
        }
        #expect(parameters.velocityLow == 30)
    }
}
