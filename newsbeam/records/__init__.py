"""The records that flow between stages: in-flight values (their written form is in ``schemas``)."""
