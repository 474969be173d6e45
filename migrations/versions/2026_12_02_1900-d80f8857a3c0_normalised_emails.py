"""normalised emails

Rewrites every stored email into the form the application now stores (Unicode NFKC, trimmed,
lower-cased), and adds a check that keeps stored emails in NFKC, so the unique constraint on
the column holds for the normalised spelling and look-alikes cannot share a mailbox.

Two accounts whose emails become the same are never merged or renamed here: the upgrade stops
with the ids of such accounts and changes nothing, and an operator decides which to keep.

The downgrade drops the check and leaves the emails normalised: the original spellings are
not kept, and the normalised ones satisfy the older schema.

Revision ID: d80f8857a3c0
Revises: 7d3e2f1a0c55
Create Date: 2026-12-02 19:00:00.000000+00:00
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d80f8857a3c0"
down_revision: str | None = "7d3e2f1a0c55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK_NAME = "ck_user_account_email_nfkc_normalized"
EMAIL_LENGTH = 254


class EmailCollisionError(RuntimeError):
    """Stored emails that the upgrade cannot normalise without breaking a rule."""


def _normalised(email: str) -> str:
    # A copy of app.users.emails.normalise_email as it was when this revision was written:
    # a migration must do the same thing however the application changes later.
    lowered = unicodedata.normalize("NFKC", email).strip().lower()
    return unicodedata.normalize("NFKC", lowered)


def _problems(rows: Sequence[tuple[int, str]]) -> list[str]:
    by_form: dict[str, list[int]] = defaultdict(list)
    for account_id, email in rows:
        by_form[_normalised(email)].append(account_id)
    problems = [
        f"accounts {', '.join(map(str, ids))} have the same email once normalised"
        for ids in by_form.values()
        if len(ids) > 1
    ]
    problems += [
        f"account {ids[0]}'s email is longer than {EMAIL_LENGTH} characters once normalised"
        for form, ids in by_form.items()
        if len(form) > EMAIL_LENGTH
    ]
    return problems


def upgrade() -> None:
    bind = op.get_bind()
    encoding = bind.exec_driver_sql("SHOW server_encoding").scalar()
    if encoding != "UTF8":
        msg = f"Unicode normalisation needs a UTF8 database; this one is {encoding}"
        raise EmailCollisionError(msg)
    # Registrations wait until this transaction ends, so none slips in between the read and
    # the rewrite; reads of the table go on.
    bind.exec_driver_sql("LOCK TABLE user_account IN SHARE ROW EXCLUSIVE MODE")
    rows = [
        (int(r[0]), str(r[1]))
        for r in bind.execute(sa.text("SELECT id, email FROM user_account ORDER BY id"))
    ]
    problems = _problems(rows)
    if problems:
        msg = (
            "Cannot normalise the stored emails: "
            + "; ".join(problems)
            + ". Nothing was changed. Give each of those accounts an email of its own (or "
            "delete the unwanted ones), then run the migration again."
        )
        raise EmailCollisionError(msg)
    # Every row with a distinct normalised form, and normalising is idempotent: no rewrite can
    # collide with another row's current email, so the unique constraint holds throughout.
    rewrite = sa.text("UPDATE user_account SET email = :email, updated_at = now() WHERE id = :id")
    for account_id, email in rows:
        if _normalised(email) != email:
            bind.execute(rewrite, {"id": account_id, "email": _normalised(email)})
    op.create_check_constraint(op.f(CHECK_NAME), "user_account", "email IS NFKC NORMALIZED")


def downgrade() -> None:
    op.drop_constraint(op.f(CHECK_NAME), "user_account", type_="check")
