"""edukg: news reports on Chinese education reform turned into a knowledge graph."""

__version__ = "0.1.0"
