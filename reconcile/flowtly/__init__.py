"""Everything that talks to Flowtly, or pretends to be it: client, our assumptions, the sandbox."""
