// BLASAdapterTests: being written in a parallel change
