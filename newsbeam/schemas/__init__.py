"""Every schema newsbeam writes: the datasets, the state tables (and, later, the manifests)."""
