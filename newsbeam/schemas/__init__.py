"""Record types and the pyarrow schemas of every dataset newsbeam writes."""
