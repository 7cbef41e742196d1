"""The contacts domain has no loader of its own: every route names a person, found by the cases domain's
visibility inside the service call (404), and the preferences may be answered before any row exists (the
person's instructions alone)."""
