"""Statistics for coordinators: where the money asked for is still missing."""
