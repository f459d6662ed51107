"""Audit events record the digests of the audited rows their transaction wrote (rows
reconcile with the chain; existing rows get theirs from `flask audit baseline`).

Revision ID: a1d3b7316774
Revises: 09a5412f8ab4
Create Date: 2026-12-06 20:24:31.349067

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1d3b7316774'
down_revision = '09a5412f8ab4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rows', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('rows')
