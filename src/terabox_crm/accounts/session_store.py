"""A database session store that keeps only a hash of each session key (S14).

The browser holds the session key; the ``django_session`` table and our
``UserSession`` rows hold ``hash_session_key(key)``. A copy of the database
(a backup, a leaked dump) therefore holds no key that signs anyone in, and the
session list can still revoke a session: it deletes the row filed under the
same hash.

BLAKE2b with a 20-byte digest fits Django's 40-character ``session_key``
column; session keys are 32 random characters, so no salt or stretching is
needed to keep them from being guessed back.
"""

from __future__ import annotations

import hashlib

from django.contrib.sessions.backends import db


def hash_session_key(session_key: str) -> str:
    return hashlib.blake2b(
        session_key.encode(), digest_size=20, person=b"tbx-session-key"
    ).hexdigest()


class SessionStore(db.SessionStore):
    """Django's database store with every lookup and write keyed by the hash.

    It also remembers the expiry the stored row had when it was loaded
    (``stored_expire_date``): ``tracking.touch`` pushes the idle deadline
    back only when it is more than a minute old, so that reads do not write.
    """

    stored_expire_date = None  # set when the session is loaded from the database

    def _stored_key(self) -> str:
        return hash_session_key(self.session_key)

    def _get_session_from_db(self):
        if not self.session_key:
            self._session_key = None
            return None
        from django.utils import timezone

        try:
            stored = self.model.objects.get(
                session_key=self._stored_key(), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None
        self.stored_expire_date = stored.expire_date
        return stored

    async def _aget_session_from_db(self):
        if not self.session_key:
            self._session_key = None
            return None
        from django.utils import timezone

        try:
            stored = await self.model.objects.aget(
                session_key=self._stored_key(), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None
        self.stored_expire_date = stored.expire_date
        return stored

    def exists(self, session_key):
        return self.model.objects.filter(session_key=hash_session_key(session_key)).exists()

    async def aexists(self, session_key):
        return await self.model.objects.filter(session_key=hash_session_key(session_key)).aexists()

    def create_model_instance(self, data):
        return self.model(
            session_key=hash_session_key(self._get_or_create_session_key()),
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    async def acreate_model_instance(self, data):
        return self.model(
            session_key=hash_session_key(await self._aget_or_create_session_key()),
            session_data=self.encode(data),
            expire_date=await self.aget_expiry_date(),
        )

    def delete(self, session_key=None):
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=hash_session_key(session_key)).delete()

    async def adelete(self, session_key=None):
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self.model.objects.filter(session_key=hash_session_key(session_key)).adelete()


def delete_by_hash(key_hash: str) -> None:
    """End the Django session filed under ``key_hash`` (revocation)."""
    SessionStore.get_model_class().objects.filter(session_key=key_hash).delete()
