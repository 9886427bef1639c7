"""What a role is shown before it starts: compact views of the repository."""
