import pytest


@pytest.fixture
def relaxed(cast):
    """Acme with two-factor relaxed: members may sign in with a password alone."""
    cast.acme.mfa_required_for_all = False
    cast.acme.save(update_fields=["mfa_required_for_all"])
    return cast
