"""Channel adapters: each turns its platform's updates into neutral inputs."""
