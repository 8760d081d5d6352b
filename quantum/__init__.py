"""quantum package."""
