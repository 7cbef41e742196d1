"""The family domain's routes name a person only on the agency's side, found through the cases domain's
visibility (`PersonVisible`: another agency's record is 404); her own view names no object but her own record,
which the service finds from her token."""
