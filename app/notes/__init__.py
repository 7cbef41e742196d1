"""Case notes with an audience: for the writer's own agency, or filed under a data category and shared only as the disclosure rule releases it."""
