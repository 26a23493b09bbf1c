"""The AWS seam: clients built once, errors mapped to a few domain errors, calls recorded."""
