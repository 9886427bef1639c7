"""GitHub App authentication, the REST client behind `GitHost`, and git over HTTPS."""
