"""The family as a partner: a survivor's or non-abusive parent's own view of what is known about her
(invitations, her access, /api/v1/my/...)."""
