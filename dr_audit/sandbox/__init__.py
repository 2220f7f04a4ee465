"""The embedded sandbox: a moto server on loopback, seeded from an estate."""
