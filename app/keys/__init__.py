"""Each agency's keys: which provider holds its key-encryption key, rotation, shredding, migration."""
