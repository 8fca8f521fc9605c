"""Dashboard views, one module per area."""
