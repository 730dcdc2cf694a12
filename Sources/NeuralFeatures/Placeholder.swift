// NeuralFeatures: being written in a parallel change
