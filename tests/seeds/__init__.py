"""`make test-seeds`: every solution notebook under several seeds (slow; not in `make test`)."""
