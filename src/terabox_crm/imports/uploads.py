"""Where an uploaded import file waits while the request is read (S3).

Django keeps uploads over 2.5 MB in a temporary file of the system's
temporary directory. An import file is personal data in plaintext, so its
upload is written instead to a 0600 file in a private directory of the data
dir, deleted by Django when the request ends (by then ``storage.store`` has
sealed it), and refused as it arrives once it passes the import limit
(``MAX_IMPORT_BODY_BYTES``). The views install the handler before the body
is read (``with_private_uploads``).
"""

from __future__ import annotations

import functools
import tempfile

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from terabox_crm import datadir


class PrivateUploadedFile(TemporaryUploadedFile):
    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        # Deliberately not TemporaryUploadedFile.__init__: the same file,
        # in the data dir's private directory instead of the system's.
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115  # closed with the upload
            suffix=".upload", dir=datadir.private_dir("imports-upload")
        )
        super(TemporaryUploadedFile, self).__init__(
            file, name, content_type, size, charset, content_type_extra
        )


class PrivateUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, *args, **kwargs):
        super(TemporaryFileUploadHandler, self).new_file(*args, **kwargs)
        self.received = 0
        self.file = PrivateUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.MAX_IMPORT_BODY_BYTES:
            # The views answer 413 for an upload stopped here (``too_large``).
            self.request.import_upload_too_large = True
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def too_large(request) -> bool:
    """The upload of ``request`` (a Django or DRF request) passed the limit."""
    return bool(getattr(getattr(request, "_request", request), "import_upload_too_large", False))


def install(request) -> None:
    request.upload_handlers = [PrivateUploadHandler(request)]


def with_private_uploads(view):
    """Install the private handler, then check the CSRF token (which reads
    the body: the handler must be in place first, as Django's documentation
    on upload handlers and CSRF says)."""
    protected = csrf_protect(view)

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        install(request)
        return protected(request, *args, **kwargs)

    return wrapper
