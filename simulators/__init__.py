"""Device simulators on real sockets, for the tests and for scripts/develop."""
