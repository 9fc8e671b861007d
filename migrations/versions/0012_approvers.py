"""approvers (issue 14): approvals are given by approvers; four eyes; the decider's role

A party's approval of an offer revision now comes only from its approvers or admins: a partner
manager's proposal no longer approves for their company, and a company may ask for "four eyes"
(even an approver's own proposal needs a second approver). This migration adds:

- ``organizations.four_eyes`` (default off: every company keeps today's behaviour until an
  admin turns it on);
- ``offer_revisions.four_eyes``: the author company's setting when the revision was sent;
- ``offer_decisions.decider_role``: the decider's role at decision time (admin or approver);
- one implicit approval (by proposing) and one explicit decision per party and revision,
  instead of one decision: the unique constraint gains ``implicit``.

What it assumes for decisions already made — existing offers keep their history:

- Every existing decision keeps counting as it did when it was made, including a partner
  manager's approval by proposing on a revision still under review: history is not rewritten,
  and the new rule applies from the next revision sent. (Open offers affected by this can be
  revised, or withdrawn and cloned, to go through their approvers.)
- Their ``decider_role`` stays NULL, shown as "role not recorded": a user's role today may not
  be the one they had when deciding, so it is not copied back as if it were known.
- Existing revisions were sent without four eyes (``four_eyes`` false).

Revision ID: 0012_approvers
Revises: 0011_offer_drafts
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_approvers'
down_revision = '0011_offer_drafts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('four_eyes', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('offer_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('four_eyes', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('offer_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decider_role', sa.String(length=20), nullable=True))
        batch_op.drop_constraint('uq_offer_decisions_revision_party', type_='unique')
        batch_op.create_unique_constraint('uq_offer_decisions_revision_party_kind', ['revision_id', 'organization_id', 'implicit'])
        batch_op.create_check_constraint(batch_op.f('ck_offer_decisions_decider_role_known'), "decider_role IS NULL OR decider_role IN ('admin', 'approver')")
        batch_op.create_check_constraint(batch_op.f('ck_offer_decisions_implicit_is_approval'), "NOT implicit OR decision = 'approved'")


def downgrade():
    # Back to one decision per party and revision: a second approver's decision (four eyes)
    # is the party's answer, so the proposer's implicit approval beside it goes.
    op.execute(
        "DELETE FROM offer_decisions WHERE implicit AND EXISTS ("
        "SELECT 1 FROM offer_decisions AS other WHERE other.revision_id = offer_decisions.revision_id"
        " AND other.organization_id = offer_decisions.organization_id AND NOT other.implicit)"
    )
    with op.batch_alter_table('offer_decisions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_offer_decisions_implicit_is_approval'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_offer_decisions_decider_role_known'), type_='check')
        batch_op.drop_constraint('uq_offer_decisions_revision_party_kind', type_='unique')
        batch_op.create_unique_constraint('uq_offer_decisions_revision_party', ['revision_id', 'organization_id'])
        batch_op.drop_column('decider_role')

    with op.batch_alter_table('offer_revisions', schema=None) as batch_op:
        batch_op.drop_column('four_eyes')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('four_eyes')
