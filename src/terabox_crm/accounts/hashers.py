"""Password hashing (S2): Argon2id above the OWASP floor (m ≥ 19 MiB, t ≥ 2).

Django 5.2's defaults (m=100 MiB, t=2, p=8) cost ~123 ms and 100 MiB per
concurrent sign-in on a 2-core machine; these parameters cost about a third
of that while staying above the floor. Hashes made with other parameters are
upgraded at the next successful sign-in (Django's ``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class TeraboxArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 3
    memory_cost = 32 * 1024  # KiB
    parallelism = 1
