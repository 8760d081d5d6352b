"""sponge package."""
