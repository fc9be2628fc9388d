"""The policies URLs and workspaces (see testing/cross_workspace.py).

Policy versions are installation-wide and public (P10): the same pages for
everyone, signed in or not, so a version number names no workspace's object.
Acceptances and notice dispatches are per user and per installation and are
served by no URL with an id.
"""

from __future__ import annotations

from terabox_crm.testing.cross_workspace import public

public(
    "policies:privacy_version",
    "the number of a published privacy policy version: public, installation-wide "
    "(policies/tests/test_pages.py)",
)
public(
    "policies:security_version",
    "the number of a published security policy version: public, installation-wide "
    "(policies/tests/test_pages.py)",
)
