"""A local GitHub for tests: REST (as GitHub Enterprise serves it, under /api/v3), the
GraphQL draft mutations, git smart HTTP over real bare repositories, and signed webhooks.

    fake = FakeGitHub(tmp_path)                  # state + seeding API (fake.py)
    with FakeGitHubServer(fake) as server:       # uvicorn on 127.0.0.1 (server.py)
        fake.create_repo("acme/widgets", {"README.md": "# hi\\n"})
        inst = fake.install("acme", ["acme/widgets"])
        settings = Settings(github_api_url=server.api_url, github_app_id=fake.app.id,
                            github_private_key=fake.app.private_key_pem)

Pytest fixtures (`fake_github`, `github_env`) are in `fixtures.py`.
"""
