"""Outside-world services behind small interfaces, each with a mock and a real implementation."""
