"""The records that flow between stages and the schema of every table newsbeam writes."""
