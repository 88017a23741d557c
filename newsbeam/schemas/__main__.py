"""``python -m newsbeam.schemas > SCHEMA.md``: regenerates the schema documentation."""
from newsbeam.schemas.docs import markdown

print(markdown(), end="")
