from tests.fakegithub.fixtures import fake_github

__all__ = ["fake_github"]
