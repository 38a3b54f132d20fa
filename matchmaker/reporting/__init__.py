"""Reports for coordinators and the public: funding gaps (where the money asked for is still
missing); exports of what was funded live beside them."""
