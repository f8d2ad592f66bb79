"""Statement readers: one module per format behind one Protocol, and an explicit registry."""
