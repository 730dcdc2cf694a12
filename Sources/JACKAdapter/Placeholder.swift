// JACKAdapter: being written in a parallel change
