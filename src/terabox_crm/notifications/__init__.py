"""In-app notifications: the bell in the top bar and the notifications page.

Who sees what: a notification belongs to one user (the recipient) and, when it
is about a workspace, to that workspace. The recipient alone ever reads it,
and only while they are still a member of its workspace — leaving a workspace
hides its notifications at once (the selector joins on live memberships), and
the retention sweep then deletes them. There is no workspace-wide or admin
view of other people's notifications: an inbox is personal, so access is
decided by ownership (``recipient == request.user``), not by a role in
``core.policy``.

What is stored: the kind (a dotted name registered in ``kinds``) and small
``params`` of ids and non-personal values (role names, counts). Text is never
stored: it is rendered from the kind's ja/en template when the notification is
read, in the reader's language, and names of people are looked up at that
moment too — so an erasure or a rename reaches old notifications without
rewriting them, and a notification row holds no personal data.

Retention (the retention engine's targets in ``retention.py``, P5): read
notifications are deleted 90 days after they were read, unread ones a year
after they were created, and those of workspaces the recipient has left at the
next run. Deleting a user or a workspace deletes their notifications with
them (CASCADE). Marking as read is not audited: it changes only the reader's
own inbox, and recording it would log reading habits for no one's benefit.
"""
