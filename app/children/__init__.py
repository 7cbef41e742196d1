"""Child details: where and with whom a child lives, school, visitation and needs."""
