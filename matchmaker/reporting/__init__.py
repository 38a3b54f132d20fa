"""Reports for coordinators and the public: funding gaps (where the money asked for is still
missing) and exports of what was funded (the IATI activity file)."""
