"""Channel adapters: each turns its platform's traffic into Incoming messages and renders Outgoing ones."""
